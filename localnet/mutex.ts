/**
 * A FIFO async mutex.
 *
 * The sandbox has one shared message queue: two overlapping `sendMessage` calls drain each other's
 * messages, so one caller gets both transaction lists and the other gets none. Every access to the
 * sandbox (sends, get methods, account reads, snapshots) goes through one `Mutex` so that each request
 * sees a consistent state and gets exactly its own transactions.
 */
export class Mutex {
    private tail: Promise<void> = Promise.resolve();

    /** Runs `fn` after every earlier caller has finished; errors propagate to this caller only. */
    runExclusive<T>(fn: () => Promise<T> | T): Promise<T> {
        const result = this.tail.then(() => fn());
        // The next caller waits for this one whether it succeeded or failed.
        this.tail = result.then(
            () => undefined,
            () => undefined,
        );
        return result;
    }
}
