// Every bound in the system, with its unit in its name.

export const limits = {
  usernameLengthMax: 32,
  passwordLengthMin: 8,
  passwordLengthMax: 256,
  accountLengthMax: 34,
  bankNameLengthMax: 32,
  noteLengthMax: 200,
  idempotencyKeyLengthMax: 255,
  requestIdLengthMax: 128,
  /** A transaction id, which is also a payment's id (they are UUIDs: 36). */
  transactionIdLengthMax: 64,
  otpLengthMax: 10,
  tokenLengthMax: 128,
  /** An account's PIN: 4 to 12 digits. */
  pinLengthMin: 4,
  pinLengthMax: 12,
  pinHashLengthMax: 256,
  /** Wrong PINs in a row before a bank refuses every PIN for that account a while. */
  pinFailuresBeforeBlock: 5,
  /** How long a bank then refuses; each further wrong PIN blocks it again. */
  pinBlockMs: 15 * 60 * 1000,
  /** The largest single payment: Rs. 1 crore (10,000,000.00). */
  amountMinorMax: 1_000_000_000n,
  /** No balance may exceed this: keeps sums far inside int64. */
  balanceMinorMax: 1_000_000_000_000_000n,
  pageSizeDefault: 20,
  pageSizeMax: 500,
  /** Refunds GetPayment lists with a payment (its refunded total always counts them all). */
  refundsListedMax: 100,
  accountsPerBankMax: 100_000,
  grpcMessageBytesMax: 4 * 1024 * 1024,

  /** Transactions per Prepare/Commit/Abort/Exchange RPC from the gateway to one bank. */
  batchItemsMax: 512,
  /** Batch RPCs a bank runs in one SQLite transaction when they arrive together. */
  groupedBatchesMax: 16,
  /**
   * Batch RPCs waiting at a bank for its next transaction (one gateway has
   * batchInFlightMax per bank, so a few gateways never come near): more are
   * refused RESOURCE_EXHAUSTED before anything of that batch is written, and
   * the gateway treats that like any failed call (a prepare votes as an error,
   * so the payment aborts as bank_unavailable; phase two is sent again). An
   * Exchange carries up to three batches: its decisions may be applied while
   * its prepares are refused, which is safe, as phase two is idempotent.
   */
  bankBatchesQueuedMax: 1_024,
  /** Writes of the gateway in one transaction (one fsync). */
  writesPerTransactionMax: 1_024,
  /**
   * Writes waiting for the gateway's next transaction: a few per payment in
   * flight, so far above any load it carries. More are refused
   * RESOURCE_EXHAUSTED: a claim refused moves nothing; a decision refused
   * leaves the payment undecided, which presumed abort settles.
   */
  writesQueuedMax: 100_000,
  /**
   * Prepares, Commits and Aborts waiting for the next Exchange call to one
   * bank (a bank that stops answering makes them pile up). More are refused
   * as UNAVAILABLE: a prepare refused is an error vote (the payment aborts,
   * bank_unavailable); a decision refused is sent again by the driver.
   */
  exchangeEntriesQueuedMax: 100_000,
  /**
   * Least time between two of the gateway's write transactions under load:
   * each then gathers the claims and decisions of a few milliseconds (one
   * fsync for all) instead of one turn of the event loop. Measured at c64:
   * 1-11% more payments/s, p99 a few ms lower (docs/performance.md).
   */
  writeBatchSpacingMs: 2,
  /** ...once the last transaction held this many writes (so a lone payment never waits). */
  writeBatchSpacingAfterItems: 8,
  /**
   * Exchange calls in flight to one bank at once. One: what arrives
   * meanwhile forms the next, larger call (4 measured 10-15% fewer
   * payments/s; 2 measured slightly fewer payments/s and ~6 MiB more
   * gateway memory with 5 banks). A call stalls only when its bank does
   * (TCP does not lose a reply on a live connection; a broken one fails
   * every call at once), and then a second call would stall as well.
   */
  batchInFlightMax: 1,
  txidsPerDecisionQueryMax: 512,
  /** Committed transactions (each with its legs) a bank lists per ListCommitted page. */
  ledgerPageSizeMax: 10_000,
  /** How long opening a database waits for the locks other processes hold. */
  sqliteBusyWaitMs: 5_000,

  /** PostgreSQL: connections in one gateway's pool. */
  databasePoolMax: 16,
  /** PostgreSQL: how long opening a connection may take. */
  databaseConnectTimeoutMs: 5_000,
  /** PostgreSQL: how long a write is tried again while the connection fails (the database restarting). */
  databaseRetryMs: 30_000,
  /**
   * PostgreSQL: how long one statement (or transaction) of the gateway's may
   * go unanswered before its connection is taken for lost (src/store/postgres.ts
   * PostgresPools): a host that falls silent without resetting connections
   * (a partition) would otherwise hold it until the kernel gives up (minutes).
   * Far above a statement's time under load; the audit's scans have their own.
   */
  databaseStatementDeadlineMs: 10_000,
  /**
   * PostgreSQL: how long the server lets one of the gateway's transactions
   * sit idle between statements before it ends the transaction and its
   * connection. A gateway frozen mid-transaction (SIGSTOP, a paused VM) would
   * otherwise keep its row locks until the kernel gives up on the connection
   * (hours), and another gateway's takeover waits on them. Its transactions
   * are a few statements sent back to back.
   */
  databaseIdleInTransactionMs: 5_000,
  /** SQLite: how often a server checks that its database file was not deleted or replaced under it. */
  databaseFileCheckMs: 2_000,
  /**
   * PostgreSQL: how long a late statement is waited for in all (about: the
   * last round and its probe may end a few seconds past it) while a probe
   * finds the server at work on these pools' statements (a slow database,
   * not a silent one), before it is cut off like a silent one's.
   */
  databaseSlowStatementWaitMsMax: 60_000,
  /** PostgreSQL: the deadline rounds of one statement at most (a loop bound: with a short statement deadline it ends the wait before the time bound above). */
  databaseSlowStatementRoundsMax: 20,
  /** PostgreSQL: how long the probe (a query of pg_stat_activity on a new connection) may take (at most the statement's deadline). */
  databaseProbeDeadlineMs: 3_000,
  /** PostgreSQL: the same for the audit's and an operator's reads that scan many rows. */
  databaseScanDeadlineMs: 120_000,
  /** PostgreSQL: how long a starting gateway waits for another one's migration before giving up (exit 4). */
  databaseMigrationWaitMs: 30_000,
  /** PostgreSQL: migrations tried again when another gateway did the same work at the same moment. */
  databaseMigrationAttemptsMax: 5,
  /**
   * PostgreSQL: a claim tried again when its key was taken but no row holds
   * it by the time it is read (the key pruned in between, READ COMMITTED):
   * the key is free then, so the next try normally claims it.
   */
  databaseClaimAttemptsMax: 3,
  /**
   * PostgreSQL: claims (or decisions, phase-two marks, session reads) sent
   * as one statement (src/store/postgres-groups.ts), and such statements of
   * one kind in flight at once: one, so what arrives meanwhile forms the
   * next, larger group (as the SQLite group commit and the bank links do).
   */
  databaseGroupItemsMax: 256,
  databaseGroupsInFlightMax: 1,
  /**
   * Items of one kind waiting for their group's statement: as writesQueuedMax,
   * far above any load; more are refused RESOURCE_EXHAUSTED (a claim refused
   * moves nothing, a decision refused is settled by presumed abort, a phase-two
   * mark refused by the resend).
   */
  databaseGroupQueuedMax: 100_000,
  /**
   * Several gateways: --takeover-after's default, and its bounds. A gateway
   * judges another silent by its own --takeover-after, and one beats at most
   * every second (src/gateway/several.ts): a shorter window could find a live
   * gateway of a longer one "silent" between two of its beats, take its name
   * and adopt its payments. Two seconds leaves a second's margin.
   */
  takeoverAfterMsDefault: 10_000,
  /** A stopping gateway waits this long at most for a sign of life on its way to land before it releases its name. */
  lastBeatWaitMsMax: 2_000,
  takeoverAfterMsMin: 2_000,
  takeoverAfterMsMax: 600_000,
  /** Gateways dev, demo and bench start on one database. */
  devGatewaysMax: 8,
  /** Gateways one client is given (--gateway a,b,...). */
  gatewaysPerClientMax: 16,
  /** Payments one pass of takeover adopts from silent gateways. */
  adoptedPerPassMax: 1_000,

  /** --session-ttl's bounds: a login that lasts at least a second and at most 30 days. */
  sessionTtlMsMin: 1_000,
  sessionTtlMsMax: 30 * 24 * 60 * 60 * 1000,
  /** --in-doubt-after's bounds (gateway and bank). */
  inDoubtAfterMsMax: 24 * 60 * 60 * 1000,
  prepareTimeoutMsDefault: 5_000,
  prepareTimeoutMsMin: 50,
  prepareTimeoutMsMax: 600_000,
  inDoubtAfterMsDefault: 10_000,
  phaseTwoDeadlineMs: 5_000,
  phaseTwoRetryMsMin: 50,
  phaseTwoRetryMsMax: 5_000,
  /** How long a payment's phase-two done-mark may take to land before the driver may send its phase two again. */
  phaseTwoMarkWaitMsMax: 30_000,
  /** How long Pay waits for phase two to reach the banks before answering anyway. */
  phaseTwoWaitMs: 2_000,
  /** The longest a stopping gateway waits for its calls in flight (a supervisor's own wait is often 10-30 s). */
  shutdownGraceMsMax: 20_000,
  /** What a log keeps waiting while its disk refuses writes; later lines are dropped, never held without bound. */
  logBufferBytesMax: 4 * 1024 * 1024,
  /** How often a log that cannot be written says so on stderr. */
  logFailureNoticeEveryMs: 60_000,
  readDeadlineMs: 5_000,
  /**
   * A user's read at their bank through the gateway (balance, the PIN check),
   * both tries together: below its callers' own deadlines (the dashboard's
   * 5 s, the CLI's 10 s), so a bank away is told as the bank, not as a
   * gateway that never answered.
   */
  bankReadDeadlineMs: 4_000,
  /**
   * A bank's holds read for the live view (GetStats): well inside the
   * dashboard's own call deadline, so one bank that is down or hung shows as
   * that bank unreachable, not as a page the gateway never answered.
   */
  statsBankReadDeadlineMs: 3_000,
  /** How often the gateway asks each bank's health service (what "bank:NAME" reports). */
  bankHealthProbeMs: 1_000,
  bankHealthProbeDeadlineMs: 1_000,
  /** How often a Health/Watch stream looks for a change of status to send. */
  healthWatchPollMs: 250,
  /** Health/Watch streams one server keeps open at once... */
  healthWatchesMax: 1_000,
  /** ...and for one client certificate. */
  healthWatchesPerPeerMax: 16,
  /** WatchPayments streams one user may have open at one gateway (shells, dashboards, devices)... */
  watchStreamsPerUserMax: 16,
  /** ...and all users together. */
  watchStreamsMax: 1_000,
  /** Payments waiting to be sent on one WatchPayments stream at most: a client that takes none loses its stream, not the gateway its memory. */
  watchMessagesWaitingMax: 1_000,
  /** How often an open WatchPayments stream with nothing to send looks whether its session was ended. */
  watchSessionCheckMs: 5_000,
  /** A WatchPayments stream ends (OK) after this however long its deadline, to be opened again: a client that set none holds no place for ever. */
  watchStreamLifeMsMax: 15 * 60 * 1000,
  /**
   * Reconnecting to a peer that went away: the first retry after this, then
   * backing off to at most reconnectBackoffMsMax. Short, so a bank that comes
   * back is connected again well within the shortest useful prepare timeout;
   * calls to banks wait for the connection (waitForReady) within their deadline.
   */
  reconnectBackoffMsMin: 100,
  reconnectBackoffMsMax: 250,
  /**
   * An HTTP/2 PING on every connection this often, with calls or without:
   * a connection that stops making progress (a peer host gone without a
   * reset, a middlebox that loses bytes) is noticed by its unanswered ping...
   */
  keepalivePingIntervalMs: 2_000,
  /** ...and closed when the answer takes longer than this: its calls fail UNAVAILABLE and the next call connects afresh. */
  keepalivePingTimeoutMs: 3_000,
  /**
   * A connection attempt (TCP, TLS and HTTP/2 handshakes) to a bank that takes
   * longer is abandoned for a fresh one: grpc-js has no connect timeout of its own.
   */
  connectingMsMax: 3_000,
  /** Servers accept a client's pings this often, even on a connection without calls (well under keepalivePingIntervalMs). */
  keepalivePingIntervalMsAccepted: 1_000,
  /** Servers ping each client connection this often themselves (a long stream's client may send nothing)... */
  serverKeepalivePingIntervalMs: 10_000,
  /** ...and close it when the answer takes longer than this. */
  serverKeepalivePingTimeoutMs: 5_000,
  recoveryScanRowsMax: 1_000,
  /** Pages of recoveryScanRowsMax undecided payments one presumed-abort pass goes through at most. */
  recoveryPagesMax: 10_000,
  /** The phase-two driver's backoff attempt when idle: its longest interval (backoff between phaseTwoRetryMsMin and phaseTwoRetryMsMax). */
  phaseTwoDriverIdleAttempt: 20,
  /** A bank asks about its in-doubt transactions every inDoubtAfterMs / 2, never more often than this. */
  inDoubtPollMsMin: 25,
  /** Attempts of one call across channel replacements (each replacement takes connectingMsMax, so the deadline ends them first). */
  replacedCallAttemptsMax: 3,
  /** Connection attempts of one waitForReady call of the lean HTTP/2 client (its deadline ends them first). */
  connectAttemptsMax: 1_000,
  /** Layers of grpc-js's intercepting calls walked to find a call's HTTP/2 stream. */
  callLayersMax: 16,
  /** Users and sessions the gateway keeps in memory (each read on every call). */
  cachedRowsMax: 100_000,
  /** Pending holds (debits and credits) a bank lists to the auditor: about 1 MB on the wire at most. */
  pendingHoldsListedMax: 20_000,
  /**
   * How long a duplicate in-flight request waits for the first outcome before
   * ABORTED (retry with the key). Under the client's 10 s per-try deadline
   * (clientCallDeadlineMs), so a second device gets that answer rather than
   * its own timeout and four tries of waiting (it was 15 s).
   */
  inFlightWaitMs: 8_000,

  sessionTtlMsDefault: 60 * 60 * 1000,
  idempotencyKeyTtlMsDefault: 24 * 60 * 60 * 1000,
  /** --key-retention at most a year: far beyond any resend, and inside what a database interval and the clock's milliseconds hold. */
  keyRetentionMsMax: 365 * 24 * 60 * 60 * 1000,
  loginFailuresBeforeDelay: 3,
  loginFailuresBeforeLockout: 10,
  loginLockoutMs: 5 * 60 * 1000,
  loginDelayMsMax: 2_000,
  loginThrottleEntriesMax: 100_000,

  clientCallDeadlineMs: 10_000,
  /** How long a client's try waits for a connection to the gateway: a gateway whose packets are lost costs this per try, not the whole call deadline. */
  clientConnectDeadlineMs: 3_000,
  clientAttemptsMax: 4,
  /**
   * A gateway a call could not reach is tried last for this long (then in
   * turn again): a long-lived client (shell, dashboard, the queue's sender)
   * does not wait out a silent gateway's connect bound on every other call.
   */
  clientGatewayAwayMs: 15_000,
  /**
   * A server closes a connection whose TLS handshake has not finished by then
   * (a peer that opened it and sent half a hello): well past a client's own
   * tries (clientAttemptsMax of clientConnectDeadlineMs), so a client on a
   * lossy link is told it could not connect, not that the server hung up.
   */
  tlsHandshakeTimeoutMs: 20_000,
  /** The highest x-attempt a server logs as given; a larger or odd one is logged as 1 (a log field, never trusted for anything else). */
  attemptLoggedMax: 1_000,
  clientRetryMsMin: 100,
  clientRetryMsMax: 2_000,
  queueEntriesMax: 10_000,
  queueClaimMs: 60_000,
  queueRetryMsMin: 1_000,
  queueRetryMsMax: 30_000,
  syncBlockMsMax: 3_000,
  /** How long the CLI's output waits, in all, for a full stdout or stderr pipe (a reader that stopped reading) before the rest is dropped. */
  outputBlockedMsMax: 10_000,
} as const;

/** Bounds of the audit: the ledger walk, the snapshots of the banks, and how long `audit` looks again. */
export const auditLimits = {
  /** Mismatches and violations of one kind listed in a report (all are counted). */
  listedMax: 20,
  /** Committed transaction ids read per page from a bank and from the gateway's store. */
  ledgerPageSizeDefault: 5_000,
  /** Pages one ledger walk reads at the most: past it the ledger is too long to compare, and the audit says so. */
  ledgerPagesMax: 10_000,
  /** Snapshots of every bank taken again while their total differs (payments decided meanwhile)... */
  snapshotAttemptsMax: 5,
  /** ...this long apart. */
  snapshotRetryMs: 20,
  /**
   * How long `audit` (and demo, bench) keeps looking while payments finish or
   * a bank reconnects: a bank back from a crash gets its missed phase two
   * within the driver's longest backoff plus one phase-two deadline.
   */
  settleWithinMs: 15_000,
  settleRetryMsMax: 2_000,
  settleAttemptsMax: 20,
} as const;

/** Bounds of `ministripe bench`. */
export const benchLimits = {
  concurrencyMax: 4_096,
  connectionsMax: 64,
  banksMax: 26,
  durationMsMax: 3_600_000,
  /** Operations one virtual client sends at most in one run, whatever the duration. */
  operationsPerClientMax: 10_000_000,
  /**
   * Registrations and logins in flight at once while setting up (Argon2id costs ~14 ms each).
   * Below the login throttle's per-peer threshold, which counts in-flight attempts as failures.
   */
  setupParallelMax: 8,
  /** Users read back from an earlier run's saved file at most: one per account of every bank (banksMax × limits.accountsPerBankMax). */
  savedUsersMax: 26 * 100_000,
  /** One saved user's JSON at most: its name, password and account are each bounded well under this. */
  savedUserBytesMax: 1_024,
  /** Deadline of one benchmarked call: a slower answer counts as DEADLINE_EXCEEDED. */
  callDeadlineMs: 10_000,
} as const;

/** Bounds of the client's offline queue, background resend and shell. */
export const offlineLimits = {
  /** Entries one sync claims and sends at most. */
  syncEntriesMax: 100,
  /** Entries `queue` lists at most (it says how many more there are). */
  queueListedEntriesMax: 1_000,
  /** Outcomes finished earlier but never told (the process ended before printing) that one command tells at most. */
  untoldOutcomesPerCommandMax: 100,
  /** The shell's connectivity checks: full-jitter backoff between these. */
  reconnectMsMin: 1_000,
  reconnectMsMax: 30_000,
  /** How long one connectivity check waits for the gateway. */
  probeDeadlineMs: 2_000,
  /** While the gateway is down, the shell asks the channel to connect at least this often (grpc backs off inside). */
  channelKickMs: 2_000,
  /** A live WatchPayments stream is closed and re-opened after this (every RPC has a deadline). */
  watchStreamMsMax: 10 * 60 * 1000,
  /** Payments listed to catch up on what finished while the watch was down. */
  watchCatchUpPaymentsMax: 50,
  /** Payment ids the shell remembers so it never notifies twice. */
  notifiedIdsMax: 10_000,
  /** Characters of one shell input line. */
  shellLineLengthMax: 1_000,
  /** How long the shell's `exit` waits for a background send in progress before leaving (the entry stays queued anyway). */
  shellExitWaitMs: 3_000,
  /**
   * A queued entry older than this is never sent blind: the gateway keeps keys
   * 24 h at least, so an older resend could claim afresh and pay twice. It is
   * looked up instead, and if the gateway no longer knows it, reported as unknown.
   */
  resendBlindMsMax: 23 * 60 * 60 * 1000,
  /**
   * How long `pay` or `refund` with a key another client process is sending
   * waits for that send's outcome (it reports it as its own): one send with
   * its retries, clientAttemptsMax calls of clientCallDeadlineMs with
   * backoffs of at most clientRetryMsMax between them, takes 46 s at most.
   */
  sendWaitMsMax: 50_000,
  /** How often the waiting process looks at the entry (a read of the local queue). */
  sendWaitPollMs: 25,
} as const;

/** Bounds of sessions, logins and requests at the edge. */
export const securityLimits = {
  /** The first delay after repeated failed logins; it doubles per further failure. */
  loginDelayMsBase: 100,
  /** Failed logins older than this no longer count. */
  loginFailureWindowMs: 15 * 60 * 1000,
  /** Failures for one username from any address before each further attempt is delayed (never locked out). */
  loginUsernameFailuresBeforeDelay: 10,
  /** Failures from one address, whatever usernames, before each further attempt is delayed (never locked out). */
  loginPeerFailuresBeforeDelay: 10,
  /** Registrations' failed account checks (wrong PIN, no such account) from one address, any accounts, before each further one is delayed. */
  registrationPeerFailuresBeforeDelay: 10,
  /** ...and before the address may not check accounts for the failure window (15 minutes). */
  registrationPeerFailuresBeforeLockout: 30,
  /** The largest request a server accepts; the largest real one (a Prepare batch) is ~100 KiB. */
  grpcRequestBytesMax: 1024 * 1024,
  /** Nesting depth the log scrubber walks; deeper values are replaced. */
  logScrubDepthMax: 8,
  /** Longest string field a request may carry that no other bound covers. */
  beforeIdLengthMax: 64,
} as const;

/** Bounds of `dev`, the local cluster a developer runs until Ctrl-C. */
export const devLimits = {
  /** Times one process of `dev` is restarted after dying before dev gives up on it (and says so). */
  restartsPerProcessMax: 5,
  /** A restart waits this long first, so a process that dies at once does not spin. */
  restartDelayMs: 500,
  /** How long a started server process has to say it is listening. */
  processStartMsMax: 15_000,
  /** How long a server that closed its output before listening has to exit, so its own exit code is known. */
  processExitWaitMs: 2_000,
  /** Random ports tried for one server of a local cluster before asking the kernel for any. */
  portChoicesMax: 50,
  /** Times the demo's takeover step asks the second gateway for the payment (every demoTakeoverPollMs) before going on. */
  demoTakeoverPollsMax: 100,
  demoTakeoverPollMs: 250,
} as const;

/** Bounds of the dashboard's web server. */
export const dashboardLimits = {
  /** Page tokens remembered (one per page served); the oldest is forgotten first. */
  pageTokensMax: 256,
  /** Live event streams open at once (browser tabs of the admin view). */
  eventStreamsMax: 16,
  /** The largest form post accepted, in bytes. */
  requestBodyBytesMax: 16 * 1024,
  /** How often the admin view's live figures are read and pushed. */
  statsIntervalMs: 1_000,
  /** Bank holds and health are read every this many stats ticks (each asks every bank). */
  bankReadEveryTicks: 5,
  /** Notices (queued payments' outcomes, payments received) the user view keeps. */
  noticesKept: 20,
  /** Payments listed on a view. */
  paymentsListed: 50,
  /** Deadline of the dashboard's calls to the gateway (a person is waiting). */
  callDeadlineMs: 5_000,
} as const;
