/**
 * The keeper and the worker as real OS processes (`node -r ts-node/register/transpile-only <cli> start --config
 * <file>`), secrets through the environment only, logs appended to a file per process. kill() is SIGKILL (no
 * shutdown hook runs); an exit we did not ask for is restarted after a second, as a process manager would.
 */
import { ChildProcess, spawn } from 'child_process';
import { closeSync, openSync } from 'fs';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');

export class Supervised {
    private child?: ChildProcess;
    private exited?: Promise<void>;
    private wanted = false;
    starts = 0;
    kills = 0;
    /** Exits nobody asked for (a start-up that failed while the chain was unreachable, a crash). */
    unplanned = 0;

    constructor(
        readonly name: string,
        private readonly script: string,
        private readonly configFile: string,
        private readonly env: Record<string, string>,
        readonly logFile: string,
    ) {}

    get running(): boolean {
        return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
    }

    start(): void {
        if (this.running) return;
        this.wanted = true;
        this.starts++;
        const log = openSync(this.logFile, 'a');
        const child = spawn(
            process.execPath,
            ['-r', 'ts-node/register/transpile-only', this.script, 'start', '--config', this.configFile],
            { cwd: ROOT, env: { ...process.env, ...this.env }, stdio: ['ignore', log, log] },
        );
        closeSync(log);
        this.child = child;
        this.exited = new Promise((resolve) =>
            child.once('exit', () => {
                resolve();
                if (this.wanted && this.child === child) {
                    this.unplanned++;
                    setTimeout(() => this.wanted && this.child === child && this.start(), 1000);
                }
            }),
        );
    }

    /** SIGKILL, and wait until the process is gone. */
    async kill(): Promise<void> {
        this.wanted = false;
        if (!this.running) return;
        this.kills++;
        this.child!.kill('SIGKILL');
        await this.exited;
    }

    /** SIGTERM (graceful), SIGKILL after 15 s. */
    async stop(): Promise<void> {
        this.wanted = false;
        if (!this.running) return;
        this.child!.kill('SIGTERM');
        const t = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
        await this.exited;
        clearTimeout(t);
    }
}
