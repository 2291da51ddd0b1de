/**
 * The state file: sandbox snapshot, transaction log, block clock and wallet mnemonics in one JSON
 * document, written atomically (temp file + rename) so a crash mid-save leaves the previous state.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { SavedChain } from './chain';

export const STATE_VERSION = 1;

export type SavedState = {
    version: typeof STATE_VERSION;
    savedAt: string;
    chain: SavedChain;
    wallets: string[][];
};

export async function writeFileAtomic(file: string, contents: string): Promise<void> {
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, contents);
    await fs.rename(tmp, file);
}

/** Loads a state file; undefined when it does not exist yet (first run). */
export async function loadState(file: string): Promise<SavedState | undefined> {
    let text: string;
    try {
        text = await fs.readFile(file, 'utf8');
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
            return undefined;
        }
        throw e;
    }
    const state = JSON.parse(text) as SavedState;
    if (state.version !== STATE_VERSION || !state.chain?.snapshot) {
        throw new Error(`${file}: not a localnet state file (version ${String(state.version)})`);
    }
    return state;
}

export async function saveState(file: string, chain: SavedChain, wallets: string[][]): Promise<void> {
    const state: SavedState = { version: STATE_VERSION, savedAt: new Date().toISOString(), chain, wallets };
    await writeFileAtomic(file, JSON.stringify(state));
}
