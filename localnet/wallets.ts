/**
 * Prefunded development wallets (W5R1).
 *
 * Their mnemonics are printed and served over HTTP: this is a local development chain and the coins
 * are worthless. Mnemonics are kept in the state file or a wallets file so reruns reuse the same
 * addresses (scripts and .env files can hard-code them).
 */
import { promises as fs } from 'fs';
import { KeyPair, mnemonicNew, mnemonicToWalletKey } from '@ton/crypto';
import { WalletContractV5R1 } from '@ton/ton';
import { z } from 'zod';
import { LocalChain } from './chain';
import { writeFileAtomic } from './persistence';

export type LocalnetWallet = {
    index: number;
    mnemonic: string[];
    keyPair: KeyPair;
    contract: WalletContractV5R1;
    address: string;
};

/** The JSON view served at /localnet/wallets and written to the wallets file. */
export type WalletJson = {
    index: number;
    version: 'v5r1';
    address: string;
    rawAddress: string;
    publicKey: string;
    mnemonic: string;
};

const walletsFileSchema = z.object({
    wallets: z.array(z.object({ mnemonic: z.string() })),
});

export async function generateMnemonics(count: number): Promise<string[][]> {
    const out: string[][] = [];
    for (let i = 0; i < count; i++) {
        out.push(await mnemonicNew(24));
    }
    return out;
}

export async function openWallets(mnemonics: string[][]): Promise<LocalnetWallet[]> {
    return Promise.all(
        mnemonics.map(async (mnemonic, index) => {
            const keyPair = await mnemonicToWalletKey(mnemonic);
            const contract = WalletContractV5R1.create({ workchain: 0, publicKey: keyPair.publicKey });
            // Non-bounceable test-only form: what wallet apps show for a testnet wallet.
            const address = contract.address.toString({ bounceable: false, testOnly: true });
            return { index, mnemonic, keyPair, contract, address };
        }),
    );
}

export function walletJson(w: LocalnetWallet): WalletJson {
    return {
        index: w.index,
        version: 'v5r1',
        address: w.address,
        rawAddress: w.contract.address.toRawString(),
        publicKey: w.keyPair.publicKey.toString('hex'),
        mnemonic: w.mnemonic.join(' '),
    };
}

/** Reads mnemonics from a wallets file; undefined when the file does not exist. */
export async function readWalletsFile(path: string): Promise<string[][] | undefined> {
    let text: string;
    try {
        text = await fs.readFile(path, 'utf8');
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
            return undefined;
        }
        throw e;
    }
    const parsed = walletsFileSchema.parse(JSON.parse(text));
    return parsed.wallets.map((w) => w.mnemonic.trim().split(/\s+/));
}

export async function writeWalletsFile(path: string, wallets: LocalnetWallet[]): Promise<void> {
    const body = {
        note: 'Local development chain wallets. The mnemonics are public; never use them on a real network.',
        wallets: wallets.map(walletJson),
    };
    await writeFileAtomic(path, JSON.stringify(body, null, 2) + '\n');
}

/**
 * Funds and deploys each wallet that is not active yet, in one treasury message each (value plus
 * StateInit), so a wallet is usable as soon as startLocalnet returns.
 */
export async function fundWallets(chain: LocalChain, wallets: LocalnetWallet[], balance: bigint): Promise<void> {
    for (const w of wallets) {
        const info = await chain.account(w.contract.address);
        if (info.state !== 'active') {
            await chain.faucet(w.contract.address, balance, w.contract.init);
        }
    }
}
