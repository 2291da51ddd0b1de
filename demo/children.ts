/**
 * Child services of the local market (keeper, workers) as separate processes: spawned with their secrets in
 * the environment only, JSON logs (stdout and stderr) appended to a file, the latest log message kept as the
 * process's one-line state, and a graceful stop (SIGTERM, then SIGKILL of its process group after a timeout).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..');

export interface Service {
    readonly name: string;
    readonly pid: number;
    readonly logFile: string;
    /** The latest log message (pino `msg`), or the exit status once it exited. */
    readonly state: string;
    readonly exited: boolean;
    /** One line: name, pid, state, log file. */
    summary(): string;
    /** Resolves when a log line satisfies `match`; rejects when the process exits first or at the timeout. */
    waitForLog(what: string, match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<void>;
    /** SIGTERM, wait up to `timeoutMs`, then SIGKILL the whole process group. */
    stop(timeoutMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** If the orchestrator itself dies, its children must not outlive it. */
function installExitHook() {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.on('exit', () => {
        for (const c of live) killGroup(c, 'SIGKILL');
    });
}

function killGroup(c: ChildProcess, signal: NodeJS.Signals) {
    if (c.pid === undefined) return;
    try {
        process.kill(-c.pid, signal); // the group holds the service and its own children (llama.cpp worker)
    } catch {
        try {
            c.kill(signal);
        } catch {
            /* already gone */
        }
    }
}

/**
 * Runs `node -r ts-node/register/transpile-only <script> <args>` from the repository root. `env` is added to
 * this process's environment: pass mnemonics there, never in `args` (the command line is visible in `ps`).
 */
export function startService(opts: {
    name: string;
    script: string;
    args: string[];
    env?: Record<string, string>;
    logFile: string;
    onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
}): Service {
    installExitHook();
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    const log = fs.createWriteStream(opts.logFile, { flags: 'a' });
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', opts.script, ...opts.args], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group, so a SIGKILL reaches its children too
    });
    live.add(child);
    let state = 'starting';
    let exited = false;
    let stopping = false;
    const waiters = new Set<{ match: (l: Record<string, unknown>) => boolean; resolve: () => void }>();
    const exitWaiters = new Set<() => void>();

    const onLine = (line: string) => {
        if (!line.trim()) return;
        let parsed: Record<string, unknown> | undefined;
        try {
            parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
            parsed = undefined;
        }
        if (parsed && typeof parsed.msg === 'string') {
            // The worker's TEE banner is a multi-line warning; its first words are enough for a one-line state.
            state = parsed.msg.trim().split('\n')[0].slice(0, 100);
        }
        for (const w of [...waiters]) {
            if (parsed && w.match(parsed)) {
                waiters.delete(w);
                w.resolve();
            }
        }
    };
    const pipe = (stream: NodeJS.ReadableStream) => {
        let rest = '';
        stream.on('data', (chunk: Buffer) => {
            log.write(chunk);
            rest += chunk.toString('utf8');
            const lines = rest.split('\n');
            rest = lines.pop() ?? '';
            lines.forEach(onLine);
        });
    };
    pipe(child.stdout!);
    pipe(child.stderr!);
    child.on('exit', (code, signal) => {
        exited = true;
        live.delete(child);
        state = signal ? `exited (${signal})` : `exited (code ${code})`;
        log.end();
        for (const r of exitWaiters) r();
        if (!stopping) opts.onUnexpectedExit?.(opts.name, code, signal);
    });

    const service: Service = {
        name: opts.name,
        pid: child.pid ?? -1,
        logFile: opts.logFile,
        get state() {
            return state;
        },
        get exited() {
            return exited;
        },
        summary: () =>
            `${opts.name.padEnd(9)} pid ${String(child.pid).padEnd(7)} ${exited ? 'stopped' : 'running'}: ${state}` +
            `  (log ${path.relative(process.cwd(), opts.logFile) || opts.logFile})`,
        waitForLog: (what, match, timeoutMs) =>
            new Promise<void>((resolve, reject) => {
                if (exited) return reject(new Error(`${opts.name} exited (${state}) before ${what}`));
                const entry = { match, resolve: () => done(resolve) };
                const onExit = () => done(() => reject(new Error(`${opts.name} ${state} before ${what}`)));
                const timer = setTimeout(
                    () => done(() => reject(new Error(`${opts.name}: no "${what}" within ${timeoutMs} ms`))),
                    timeoutMs,
                );
                function done(f: () => void) {
                    clearTimeout(timer);
                    waiters.delete(entry);
                    exitWaiters.delete(onExit);
                    f();
                }
                waiters.add(entry);
                exitWaiters.add(onExit);
            }),
        stop: async (timeoutMs = 8000) => {
            stopping = true;
            if (exited) return;
            const gone = new Promise<void>((r) => exitWaiters.add(r));
            child.kill('SIGTERM');
            const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
            await gone;
            clearTimeout(timer);
            // Whatever the service started and did not stop (e.g. an inference child) goes with the group.
            killGroup(child, 'SIGKILL');
        },
    };
    return service;
}

/** Stops every service still running (the test's afterAll, the orchestrator's signal handlers). */
export async function stopAllServices(timeoutMs = 8000): Promise<void> {
    await Promise.all(
        [...live].map(
            (c) =>
                new Promise<void>((resolve) => {
                    if (c.exitCode !== null || c.signalCode !== null) return resolve();
                    const timer = setTimeout(() => killGroup(c, 'SIGKILL'), timeoutMs);
                    c.once('exit', () => {
                        clearTimeout(timer);
                        killGroup(c, 'SIGKILL');
                        resolve();
                    });
                    c.kill('SIGTERM');
                }),
        ),
    );
}
