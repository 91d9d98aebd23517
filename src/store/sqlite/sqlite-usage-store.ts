import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { grantOutputTokens, type WindowUse } from '../grant-output-tokens.ts';
import { type WindowName, windowEnd, windowStart } from '../quota-windows.ts';
import type {
  RequestFacts,
  ReservationRequest,
  ReservationResult,
  SettledUsage,
  UsageRow,
  UsageStore,
  WindowLimit,
  WindowRemaining,
} from '../usage-store.ts';

const schema = `
CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT PRIMARY KEY,
  time INTEGER NOT NULL,
  user TEXT NOT NULL,
  plan TEXT NOT NULL,
  model TEXT NOT NULL,
  provider TEXT,
  upstream_model TEXT,
  status TEXT NOT NULL,            -- reserved | settled | interrupted | refused
  reserved_tokens INTEGER NOT NULL DEFAULT 0,   -- input + granted output
  reserved_input_tokens INTEGER,
  reserved_usd REAL NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  cached INTEGER NOT NULL DEFAULT 0,
  outcome TEXT,
  ttft_ms INTEGER,
  duration_ms INTEGER
);
CREATE INDEX IF NOT EXISTS requests_by_user_time ON requests (user, time);
CREATE INDEX IF NOT EXISTS requests_by_time ON requests (time);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * What a row counts against quotas: a settled request its true usage; a reserved one (in flight, or
 * interrupted by a crash before it settled) its whole reservation, so a crash never undercounts.
 */
const chargedTokens = `CASE WHEN status IN ('reserved', 'interrupted') THEN reserved_tokens ELSE input_tokens + output_tokens END`;
const chargedUsd = `CASE WHEN status IN ('reserved', 'interrupted') THEN reserved_usd ELSE cost_usd END`;
/**
 * The charge split for the usage report. A ledger written before the reservation's input tokens were
 * kept has none for its old rows: their whole reservation shows as output, so the totals still agree.
 */
const chargedInputTokens = `CASE WHEN status IN ('reserved', 'interrupted') THEN COALESCE(reserved_input_tokens, 0) ELSE input_tokens END`;
const chargedOutputTokens = `CASE WHEN status IN ('reserved', 'interrupted') THEN reserved_tokens - COALESCE(reserved_input_tokens, 0) ELSE output_tokens END`;

interface CachedWindow extends WindowUse {
  start: number;
}

interface OpenReservation {
  user: string;
  time: number;
  tokens: number;
  usd: number;
  limits: readonly WindowLimit[];
}

/** Brings a ledger written by an older Sluice up to this schema (`CREATE TABLE IF NOT EXISTS` keeps its table). */
function addMissingColumns(database: DatabaseSync): void {
  const columns = database.prepare('PRAGMA table_info(requests)').all() as Array<{ name: string }>;
  if (!columns.some((column) => column.name === 'reserved_input_tokens')) {
    database.exec('ALTER TABLE requests ADD COLUMN reserved_input_tokens INTEGER');
  }
}

/**
 * The single-instance store: an embedded SQLite database (WAL, so a killed process loses nothing it
 * has committed) holding one row per request. Window totals are read from it once per user and
 * window, then kept in memory and updated with each reservation and settlement; every change is
 * one synchronous step, so reservations are atomic within the process.
 */
export function openSqliteUsageStore(path: string): UsageStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new DatabaseSync(path);
  // Window totals are cached in this process, so no other process may write the file: the
  // exclusive lock, taken by the first write below, makes a second Sluice on it fail at start-up.
  database.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA busy_timeout = 2000;');
  try {
    database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    database.exec(schema);
    addMissingColumns(database);
    // Requests a previous process left unsettled (it was killed) keep charging their reservation.
    database.exec(
      `UPDATE requests SET status = 'interrupted', outcome = 'interrupted' WHERE status = 'reserved'`,
    );
    // A real write, so the exclusive lock is held from now on (an update of no rows takes none).
    database
      .prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('opened_at', ?)`)
      .run(new Date().toISOString());
  } catch (error) {
    database.close();
    throw new Error(
      `cannot open the usage ledger ${path}: ${(error as Error).message} (is another Sluice using it?)`,
    );
  }

  const sumSince = database.prepare(
    `SELECT COALESCE(SUM(${chargedTokens}), 0) AS tokens, COALESCE(SUM(${chargedUsd}), 0) AS usd
     FROM requests WHERE user = ? AND time >= ? AND status != 'refused'`,
  );
  const insertReservation = database.prepare(
    `INSERT INTO requests (request_id, time, user, plan, model, provider, upstream_model, status, reserved_tokens,
       reserved_input_tokens, reserved_usd)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?, ?, ?)`,
  );
  const settleRow = database.prepare(
    `UPDATE requests SET status = 'settled', input_tokens = ?, output_tokens = ?, cost_usd = ?, cached = ?,
       outcome = ?, ttft_ms = ?, duration_ms = ?, provider = COALESCE(?, provider),
       upstream_model = COALESCE(?, upstream_model) WHERE request_id = ?`,
  );
  const insertRefusal = database.prepare(
    `INSERT INTO requests (request_id, time, user, plan, model, provider, upstream_model, status, outcome)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'refused', ?)`,
  );
  const usageSince = database.prepare(
    `SELECT date(time / 1000, 'unixepoch') AS day, user, model, COUNT(*) AS requests,
       SUM(${chargedInputTokens}) AS input_tokens, SUM(${chargedOutputTokens}) AS output_tokens,
       SUM(${chargedUsd}) AS cost_usd, SUM(status IN ('reserved', 'interrupted')) AS unsettled_requests
     FROM requests WHERE time >= ? AND status != 'refused' AND (? IS NULL OR user = ?)
     GROUP BY day, user, model ORDER BY day, user, model`,
  );

  const windows = new Map<string, CachedWindow>();
  const open = new Map<string, OpenReservation>();

  function use(user: string, window: WindowName, now: number): CachedWindow {
    const key = `${user}\u0000${window}`;
    const start = windowStart(window, now);
    let cached = windows.get(key);
    if (!cached || cached.start !== start) {
      const row = sumSince.get(user, start) as { tokens: number; usd: number };
      cached = { start, tokens: row.tokens, usd: row.usd };
      windows.set(key, cached);
    }
    return cached;
  }

  /** Adds a change to every cached window of the user that holds `time`. */
  function apply(user: string, time: number, tokens: number, usd: number): void {
    for (const window of ['minute', 'day', 'month'] as const) {
      const cached = windows.get(`${user}\u0000${window}`);
      if (cached && time >= cached.start && time < windowEnd(window, cached.start)) {
        cached.tokens += tokens;
        cached.usd += usd;
      }
    }
  }

  function remainingOf(user: string, limits: readonly WindowLimit[], now: number): WindowRemaining[] {
    return limits.map((limit) => {
      const current = use(user, limit.window, now);
      const remaining: WindowRemaining = { window: limit.window, resetsAt: windowEnd(limit.window, now) };
      if (limit.tokens !== undefined) remaining.tokens = Math.max(0, limit.tokens - current.tokens);
      if (limit.usd !== undefined) remaining.usd = Math.max(0, limit.usd - current.usd);
      return remaining;
    });
  }

  return {
    async reserve(request: ReservationRequest): Promise<ReservationResult> {
      const { user, time, limits } = request;
      const uses = limits.map((limit) => ({ limit, use: use(user, limit.window, time) }));
      const decision = grantOutputTokens(request, uses);
      if (!decision.granted) {
        return {
          granted: false,
          window: decision.window,
          retryAfterMs: windowEnd(decision.window, time) - time,
          remaining: remainingOf(user, limits, time),
        };
      }
      insertReservation.run(
        request.requestId,
        time,
        user,
        request.plan,
        request.model,
        request.provider ?? null,
        request.upstreamModel ?? null,
        decision.tokens,
        request.inputTokens,
        decision.usd,
      );
      apply(user, time, decision.tokens, decision.usd);
      open.set(request.requestId, { user, time, tokens: decision.tokens, usd: decision.usd, limits });
      return {
        granted: true,
        outputTokens: decision.outputTokens,
        remaining: remainingOf(user, limits, time),
      };
    },

    async settle(requestId: string, usage: SettledUsage): Promise<WindowRemaining[]> {
      const reservation = open.get(requestId);
      if (!reservation) throw new Error(`no open reservation ${requestId}`);
      open.delete(requestId);
      settleRow.run(
        usage.inputTokens,
        usage.outputTokens,
        usage.costUsd,
        usage.cached ? 1 : 0,
        usage.outcome,
        usage.ttftMs ?? null,
        usage.durationMs,
        usage.provider ?? null,
        usage.upstreamModel ?? null,
        requestId,
      );
      const tokens = usage.inputTokens + usage.outputTokens;
      apply(reservation.user, reservation.time, tokens - reservation.tokens, usage.costUsd - reservation.usd);
      return remainingOf(reservation.user, reservation.limits, Date.now());
    },

    async recordRefusal(facts: RequestFacts, outcome: string): Promise<void> {
      insertRefusal.run(
        facts.requestId,
        facts.time,
        facts.user,
        facts.plan,
        facts.model,
        facts.provider ?? null,
        facts.upstreamModel ?? null,
        outcome,
      );
    },

    async remaining(user, limits, now) {
      return remainingOf(user, limits, now);
    },

    async usageByDay(since: number, user?: string): Promise<UsageRow[]> {
      const rows = usageSince.all(since, user ?? null, user ?? null) as Array<Record<string, unknown>>;
      return rows.map((row) => ({
        day: String(row.day),
        user: String(row.user),
        model: String(row.model),
        requests: Number(row.requests),
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
        costUsd: Number(row.cost_usd),
        unsettledRequests: Number(row.unsettled_requests),
      }));
    },

    async close() {
      database.close();
    },
  };
}
