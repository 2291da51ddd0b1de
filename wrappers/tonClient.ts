import { Address, Cell, TupleItem, TupleReader } from '@ton/core';
import { TonClient, TonClientParameters } from '@ton/ton';

type RawEntry = { '@type': string; [k: string]: unknown };

/** A toncenter v2 stack entry nested inside a tuple or list, as a proper TupleItem. */
function nestedItem(x: RawEntry): TupleItem {
    switch (x['@type']) {
        case 'tvm.list':
        case 'tvm.tuple':
            return { type: 'tuple', items: (x.elements as RawEntry[]).map(nestedItem) };
        case 'tvm.cell':
            return { type: 'cell', cell: Cell.fromBoc(Buffer.from(x.bytes as string, 'base64'))[0] };
        case 'tvm.slice':
            return { type: 'slice', cell: Cell.fromBoc(Buffer.from(x.bytes as string, 'base64'))[0] };
        case 'tvm.builder':
            return { type: 'builder', cell: Cell.fromBoc(Buffer.from(x.bytes as string, 'base64'))[0] };
        case 'tvm.stackEntryTuple':
        case 'tvm.stackEntryList':
            return nestedItem((x.tuple ?? x.list) as RawEntry);
        case 'tvm.stackEntryCell':
            return nestedItem(x.cell as RawEntry);
        case 'tvm.stackEntrySlice':
            return nestedItem(x.slice as RawEntry);
        case 'tvm.stackEntryBuilder':
            return nestedItem(x.builder as RawEntry);
        case 'tvm.stackEntryNumber':
            return nestedItem(x.number as RawEntry);
        case 'tvm.numberDecimal':
            return { type: 'int', value: BigInt(x.number as string) };
        default:
            throw new Error(`unsupported stack entry ${x['@type']}`);
    }
}

function topItem(s: [string, unknown]): TupleItem {
    const [kind, v] = s;
    switch (kind) {
        case 'num': {
            const str = v as string;
            return { type: 'int', value: str.startsWith('-') ? -BigInt(str.slice(1)) : BigInt(str) };
        }
        case 'null':
            return { type: 'null' };
        case 'cell':
        case 'slice':
        case 'builder':
            return { type: kind, cell: Cell.fromBoc(Buffer.from((v as { bytes: string }).bytes, 'base64'))[0] };
        case 'tuple':
        case 'list': {
            const elements = (v as { elements: RawEntry[] }).elements;
            // An empty tuple is how toncenter renders a null nested value.
            return elements.length === 0 ? { type: 'null' } : { type: 'tuple', items: elements.map(nestedItem) };
        }
        default:
            throw new Error(`unsupported stack item ${kind}`);
    }
}

/**
 * TonClient whose get-method results keep their types inside tuples. @ton/ton 16.3.0 turns numbers nested in
 * a tuple into bare bigints, so generated Tact wrappers fail ("Not a number") on getters that return an
 * optional struct (Registry.getVerifier, Provider.getAsk …). Use this class wherever a wrapper reads a getter.
 */
export class CocoonTonClient extends TonClient {
    constructor(params: TonClientParameters) {
        super(params);
    }

    override async runMethod(address: Address, name: string, stack: TupleItem[] = []) {
        const api = (this as unknown as { api: { callGetMethod(a: Address, n: string, s: TupleItem[]): Promise<any> } })
            .api;
        const res = await api.callGetMethod(address, name, stack);
        if (res.exit_code !== 0) throw new Error(`Unable to execute get method. Got exit_code: ${res.exit_code}`);
        return {
            gas_used: res.gas_used as number,
            stack: new TupleReader((res.stack as [string, unknown][]).map(topItem)),
        };
    }
}
