import { toNano } from '@ton/core';
import { SendMessageResult } from '@ton/sandbox';
import '@ton/test-utils';
import { ExitCode, Op } from '../../wrappers/Constants';
import {
    conserving,
    createOrder,
    deployMarket,
    Market,
    matchOrder,
    OrderHandle,
    ProviderHandle,
    receiptFor,
    registerProvider,
    sha256,
    signedReceipt,
} from '../helpers/market';
import { expectRefused, orderState, sendClaim, sentValue, snapshotFixture, storageFees } from '../helpers/audit';

describe('order disputes', () => {
    const fixture = snapshotFixture(async () => {
        const m = await deployMarket();
        const p = await registerProvider(m, 'p1', { priceIn: 1000n, priceOut: 2000n });
        const keeper = await m.blockchain.treasury('keeper');
        const order = await createOrder(m);
        await matchOrder(m, keeper, order, p);
        return { m, p, order };
    });
    let m: Market;
    let p: ProviderHandle;
    let order: OrderHandle;
    const request = sha256('request:rerun');
    // the host re-ran request 1 to bill more: two enclave-signed receipts, same seqno and request
    const cheap = () =>
        signedReceipt(
            receiptFor(m, order, { seqno: 1, tokensIn: 1000n, tokensOut: 1000n, requestHash: request }),
            p.enclave,
        );
    const dear = () =>
        signedReceipt(
            receiptFor(m, order, { seqno: 1, tokensIn: 1000n, tokensOut: 5000n, requestHash: request }),
            p.enclave,
        );
    const dispute = (signed: { receipt: import('@ton/core').Cell; signature: Buffer }, from = order.client) =>
        order.contract.send(
            from.getSender(),
            { value: toNano('0.05') },
            { $$type: 'Dispute', queryId: 0n, receipt: signed.receipt, signature: signed.signature },
        );
    const refuse = (code: number, a: () => Promise<SendMessageResult>, from = order.client) =>
        expectRefused(
            m,
            order.contract.address,
            code,
            [from.address, p.contract.address],
            () => orderState(order.contract),
            a,
        );

    beforeEach(async () => {
        ({ m, p, order } = await fixture());
        await sendClaim(p.owner, order, dear());
    });

    it('refunds the difference from the provider pending earnings to the client, exactly', async () => {
        const diff = 11_000_000n - 3_000_000n;
        const pBefore = await p.contract.getProviderData();
        const res = await conserving(m, [order.client.address, p.contract.address, order.contract.address], () =>
            dispute(cheap()),
        );
        expect((await order.contract.getOrderData()).paid).toBe(3_000_000n);
        const pAfter = await p.contract.getProviderData();
        expect(pBefore.pendingNew - pAfter.pendingNew).toBe(diff);
        expect(pAfter.stake).toBe(pBefore.stake);
        expect((await p.contract.getCounters()).disputesLost).toBe(1n);
        // the Provider's balance drops by exactly the difference; the order keeps its balance
        expect(res.deltas.get(p.contract.address.toRawString())).toBe(-diff - storageFees(res.txs, p.contract.address));
        expect(res.deltas.get(order.contract.address.toRawString())).toBe(
            -storageFees(res.txs, order.contract.address),
        );
        expect(sentValue(res.txs, p.contract.address, order.client.address)).toBeGreaterThan(diff);
        expect(res.txs).toHaveTransaction({ to: p.contract.address, op: Op.DisputeRefund, success: true });
        // the same receipt cannot be used twice
        await refuse(ExitCode.NO_DISPUTE, () => dispute(cheap()));
    });

    it('refuses a receipt that is not cheaper, or for another seqno or request (NO_DISPUTE)', async () => {
        await refuse(ExitCode.NO_DISPUTE, () => dispute(dear()));
        const other = signedReceipt(receiptFor(m, order, { seqno: 1, tokensIn: 1n, tokensOut: 1n }), p.enclave);
        await refuse(ExitCode.NO_DISPUTE, () => dispute(other));
        const seq2 = signedReceipt(
            receiptFor(m, order, { seqno: 2, tokensIn: 1n, tokensOut: 1n, requestHash: request }),
            p.enclave,
        );
        await refuse(ExitCode.NO_DISPUTE, () => dispute(seq2));
    });

    it('refuses a dispute after the window (TOO_LATE)', async () => {
        m.blockchain.now = m.blockchain.now! + Number(m.params.disputeWindow) + 1;
        await refuse(ExitCode.TOO_LATE, () => dispute(cheap()));
    });

    it('refuses a dispute from a stranger (ACCESS_DENIED) and with too little value (LOW_VALUE)', async () => {
        const stranger = await m.blockchain.treasury('stranger');
        await refuse(ExitCode.ACCESS_DENIED, () => dispute(cheap(), stranger), stranger);
        await refuse(ExitCode.LOW_VALUE, () =>
            order.contract.send(
                order.client.getSender(),
                { value: toNano('0.029') },
                { $$type: 'Dispute', queryId: 0n, receipt: cheap().receipt, signature: cheap().signature },
            ),
        );
    });
});
