import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { toNano } from '@ton/core';
import { TonClient } from '@ton/ton';
import { Localnet, startLocalnet } from '../../localnet/server';
import { freshAddress, transfer, waitFor } from './helpers';

jest.setTimeout(30_000);

describe('localnet persistence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'localnet-'));
    const statePath = join(dir, 'state.json');
    const walletsPath = join(dir, 'wallets.json');
    let ln: Localnet | undefined;

    afterAll(async () => {
        await ln?.close();
        rmSync(dir, { recursive: true, force: true });
    });

    it('keeps balances, history, wallets and block numbering across a restart', async () => {
        ln = await startLocalnet({ walletCount: 1, blockIntervalMs: 0, statePath, walletsPath });
        let client = new TonClient({ endpoint: ln.url, timeout: 10_000 });
        const w = ln.wallets[0];
        const to = freshAddress();
        await transfer(client, w, to, toNano('7'));
        await waitFor(
            () => client.getBalance(to),
            (b) => b === toNano('7'),
        );
        const walletBalance = await client.getBalance(w.contract.address);
        const history = (await client.getTransactions(w.contract.address, { limit: 10 })).map((t) =>
            t.hash().toString('hex'),
        );
        const block = ln.latestBlock();
        await ln.close();

        ln = await startLocalnet({ walletCount: 1, blockIntervalMs: 0, statePath, walletsPath });
        client = new TonClient({ endpoint: ln.url, timeout: 10_000 });
        expect(ln.wallets[0].contract.address.equals(w.contract.address)).toBe(true);
        expect(await client.getBalance(to)).toBe(toNano('7'));
        expect(await client.getBalance(w.contract.address)).toBe(walletBalance);
        const after = (await client.getTransactions(w.contract.address, { limit: 10 })).map((t) =>
            t.hash().toString('hex'),
        );
        expect(after).toEqual(history);
        expect(ln.latestBlock().seqno).toBe(block.seqno);
        expect(ln.latestBlock().rootHash.equals(block.rootHash)).toBe(true);

        // The restored wallet keeps working: its seqno continues.
        const seqno = await client.open(w.contract).getSeqno();
        expect(seqno).toBe(1);
        const next = freshAddress();
        await transfer(client, w, next, toNano('1'), seqno);
        await waitFor(
            () => client.getBalance(next),
            (b) => b === toNano('1'),
        );
    });
});
