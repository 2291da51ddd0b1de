/**
 * Bounded retries with exponential backoff: a public endpoint drops requests and rate-limits, and a keeper
 * that gave up on the first error would miss deadlines; one that retried forever would hang its loop.
 */
export interface RetryOptions {
    /** Attempts in total, first one included. */
    attempts: number;
    /** Delay before the second attempt, ms; doubles each time up to maxDelayMs. */
    baseDelayMs: number;
    maxDelayMs: number;
    /** Called before each wait, for logs. */
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };

/** Errors that will not go away by asking again (bad input, contract exit codes): fail at once. */
export function isPermanent(err: unknown): boolean {
    const msg = err instanceof Error ? err.message : String(err);
    return /exit_code|Unable to execute get method|Invalid address|cannot apply external/i.test(msg);
}

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = DEFAULT_RETRY): Promise<T> {
    let delay = opts.baseDelayMs;
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (attempt >= opts.attempts || isPermanent(e)) throw e;
            opts.onRetry?.(e, attempt, delay);
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(delay * 2, opts.maxDelayMs);
        }
    }
}
