// Registry.tact imports every other Tact contract, so this one compile emits Registry, Provider, OrderBook and
// Librarian (wrappers/<Name>.ts re-export each). The Order is Tolk (wrappers/Order.compile.ts): it is compiled
// first, and its code hash written to contracts/order_code.tact, which order_address.tact and the OrderBook
// use to derive Order addresses.
import { compile as compileContract, CompilerConfig } from '@ton/blueprint';
import { promises as fs } from 'fs';
import path from 'path';

export const compile: CompilerConfig = {
    lang: 'tact',
    target: 'contracts/registry.tact',
    options: {
        debug: false,
        external: true,
    },
    preCompileHook: async () => {
        const code = await compileContract('Order');
        const root = path.join(__dirname, '..');
        const hash = code.hash();
        await fs.mkdir(path.join(root, 'build'), { recursive: true });
        await fs.writeFile(
            path.join(root, 'build', 'Order.compiled.json'),
            JSON.stringify({
                hash: hash.toString('hex'),
                hashBase64: hash.toString('base64'),
                hex: code.toBoc().toString('hex'),
            }),
        );
        await fs.writeFile(
            path.join(root, 'contracts', 'order_code.tact'),
            '// Written by the build (wrappers/Registry.compile.ts) from contracts/order.tolk: do not edit.\n' +
                `const ORDER_CODE_HASH: Int = 0x${hash.toString('hex')};\n`,
        );
    },
};
