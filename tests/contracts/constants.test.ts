import { readFileSync } from 'fs';
import { join } from 'path';
import { Bounds, ExitCode, Gas, Op, OrderState, ProviderStatus, Tags } from '../../wrappers/Constants';
import { ATTEST_TAG, CLOSE_TAG, domainTag, RECEIPT_TAG, REQUEST_TAG } from '../../wrappers/formats/tags';
import { createOrder, deployMarket, matchOrder, registerProvider } from '../helpers/market';
import { toNano } from '@ton/core';

const contracts = join(__dirname, '..', '..', 'contracts');

function tactConstants(): Map<string, bigint> {
    const src = readFileSync(join(contracts, 'constants.tact'), 'utf8');
    const out = new Map<string, bigint>();
    for (const m of src.matchAll(/^const (\w+): Int = (ton\("([\d.]+)"\)|0x[0-9a-f]+|\d+);/gim)) {
        out.set(m[1], m[3] !== undefined ? toNano(m[3]) : BigInt(m[2]));
    }
    return out;
}

function tactOpcodes(): Map<string, number> {
    const src = readFileSync(join(contracts, 'messages.tact'), 'utf8');
    const out = new Map<string, number>();
    for (const m of src.matchAll(/^message\((0x[0-9a-f]+)\) (\w+)/gim)) out.set(m[2], Number(m[1]));
    return out;
}

/** A Tolk contract's copies of the Tact constants (contracts/order.tolk, order_book.tolk): `const NAME = value`. */
function tolkConstants(file = 'order.tolk'): Map<string, bigint> {
    const src = readFileSync(join(contracts, file), 'utf8');
    const out = new Map<string, bigint>();
    for (const m of src.matchAll(/^const (\w+) = (ton\("([\d.]+)"\)|0x[0-9a-f]+|\d+)$/gim)) {
        out.set(m[1], m[3] !== undefined ? toNano(m[3]) : BigInt(m[2]));
    }
    return out;
}

/** A Tolk contract's message structs: `struct (0x...) Name`. */
function tolkOpcodes(file = 'order.tolk'): Map<string, number> {
    const src = readFileSync(join(contracts, file), 'utf8');
    const out = new Map<string, number>();
    for (const m of src.matchAll(/^struct \((0x[0-9a-f]+)\) (\w+)/gim)) out.set(m[2], Number(m[1]));
    return out;
}

describe('wrappers/Constants.ts mirrors the contracts', () => {
    const consts = tactConstants();

    it("the Tolk Order's constants and opcodes are the Tact ones", () => {
        const tolk = tolkConstants();
        expect(tolk.size).toBeGreaterThan(20);
        for (const [k, v] of tolk) {
            if (k.startsWith('SEND_') || k === 'ERR_INVALID_MESSAGE') continue; // TVM send modes, Tact's own 130
            expect({ k, v: consts.get(k) }).toEqual({ k, v });
        }
        const ops = tactOpcodes();
        const tolkOps = tolkOpcodes();
        expect(tolkOps.size).toBe(12);
        for (const [name, op] of tolkOps) expect({ name, op: ops.get(name) }).toEqual({ name, op });
    });

    it("the Tolk OrderBook's constants and opcodes are the Tact ones", () => {
        const tolk = tolkConstants('order_book.tolk');
        expect(tolk.size).toBeGreaterThan(10);
        const ops = tactOpcodes();
        for (const [k, v] of tolk) {
            if (k.startsWith('SEND_') || k === 'ERR_INVALID_MESSAGE') continue; // TVM send modes, Tact's own 130
            if (k === 'RESERVE_OPCODE') expect(Number(v)).toBe(ops.get('Reserve'));
            else expect({ k, v: consts.get(k) }).toEqual({ k, v });
        }
        const tolkOps = tolkOpcodes('order_book.tolk');
        expect(tolkOps.size).toBe(4);
        for (const [name, op] of tolkOps) expect({ name, op: ops.get(name) }).toEqual({ name, op });
    });

    it('every opcode matches messages.tact, both ways', () => {
        const ops = tactOpcodes();
        expect(ops.size).toBe(Object.keys(Op).length);
        for (const [name, op] of ops) expect({ name, op: (Op as Record<string, number>)[name] }).toEqual({ name, op });
    });

    it('every exit code matches', () => {
        const tact = [...consts].filter(([k]) => k.startsWith('ERR_'));
        expect(tact.length).toBe(Object.keys(ExitCode).length);
        for (const [k, v] of tact)
            expect({ k, v: BigInt((ExitCode as Record<string, number>)[k.slice(4)]) }).toEqual({ k, v });
    });

    it('states, statuses, tags, bounds and gas constants match', () => {
        for (const [k, v] of Object.entries(OrderState)) expect(consts.get(`ORDER_${k}`)).toBe(BigInt(v));
        for (const [k, v] of Object.entries(ProviderStatus)) expect(consts.get(`PROVIDER_${k}`)).toBe(BigInt(v));
        for (const [k, v] of Object.entries(Tags)) expect(consts.get(k)).toBe(BigInt(v));
        for (const [k, v] of Object.entries(Bounds)) expect(consts.get(k)).toBe(BigInt(v));
        for (const [k, v] of Object.entries(Gas)) expect({ k, v: consts.get(k) }).toEqual({ k, v });
    });

    it('domain tags are the sha256 prefixes of their names', () => {
        expect(domainTag('cocoon/receipt/v1')).toBe(RECEIPT_TAG);
        expect(domainTag('cocoon/attest/v1')).toBe(ATTEST_TAG);
        expect(domainTag('cocoon/request/v1')).toBe(REQUEST_TAG);
        expect(domainTag('cocoon/close/v1')).toBe(CLOSE_TAG);
        expect(Tags.CLOSE_TAG).toBe(CLOSE_TAG);
        expect(Tags.RECEIPT_TAG).toBe(RECEIPT_TAG);
        expect(Tags.ATTEST_TAG).toBe(ATTEST_TAG);
    });

    it("the Order's code-hash address of a Provider equals the real one", async () => {
        const m = await deployMarket();
        const p = await registerProvider(m, 'provider-x', { stake: toNano('1') });
        const keeper = await m.blockchain.treasury('keeper');
        const order = await createOrder(m);
        await matchOrder(m, keeper, order, p);
        const data = await order.contract.getOrderData();
        expect(data.provider.equals(p.contract.address)).toBe(true);
        expect(data.state).toBe(BigInt(OrderState.MATCHED));
        expect((await m.orderBook.getOrderBookData()).config.providerCodeHash).toBe(
            await m.registry.getProviderCodeHash(),
        );
    });
});
