import { Address, beginCell, Cell, contractAddress, Dictionary } from '@ton/core';
import { Librarian, storePublishLibrary } from '../wrappers/Librarian';
import { Order } from '../wrappers/Order';

/**
 * Orders run their code from a public library (contracts/order_address.tact): the chain must know the Order's
 * code by its hash. On testnet and mainnet a Librarian contract publishes it in the masterchain
 * (market/deploy.ts); the sandbox and localnet take it from here.
 */
export async function orderCode(): Promise<Cell> {
    const probe = await Order.fromInit(new Address(0, Buffer.alloc(32)), 0n);
    return probe.init!.code;
}

/** The library dictionary (code hash → code) every chain running the market must hold. */
export async function marketLibraries(): Promise<Cell> {
    const code = await orderCode();
    const dict = Dictionary.empty(Dictionary.Keys.BigUint(256), Dictionary.Values.Cell());
    dict.set(BigInt('0x' + code.hash().toString('hex')), code);
    return beginCell().storeDictDirect(dict).endCell();
}

/** For a @ton/sandbox Blockchain: `blockchain.libs = await marketLibraries()`, merging what is there. */
export async function installMarketLibraries(blockchain: { libs: Cell | undefined }): Promise<void> {
    const code = await orderCode();
    const dict = blockchain.libs
        ? Dictionary.loadDirect(Dictionary.Keys.BigUint(256), Dictionary.Values.Cell(), blockchain.libs)
        : Dictionary.empty(Dictionary.Keys.BigUint(256), Dictionary.Values.Cell());
    dict.set(BigInt('0x' + code.hash().toString('hex')), code);
    blockchain.libs = beginCell().storeDictDirect(dict).endCell();
}

/**
 * Testnet and mainnet: deploys the governance-owned Librarian in the masterchain and publishes the Order's
 * code as a public library (SETLIBCODE, mode 2). Its balance pays the library's masterchain storage.
 */
export async function publishOrderLibrary(
    governance: {
        address: Address;
        send(m: { to: Address; value: bigint; body: Cell; init?: { code: Cell; data: Cell } }[]): Promise<void>;
    },
    funding: bigint,
): Promise<Address> {
    const librarian = await Librarian.fromInit(governance.address);
    const init = librarian.init!;
    const address = contractAddress(-1, init);
    const body = beginCell()
        .store(storePublishLibrary({ $$type: 'PublishLibrary', queryId: 0n, code: await orderCode() }))
        .endCell();
    await governance.send([{ to: address, value: funding, body, init }]);
    return address;
}
