// The OrderBook is written in Tolk (contracts/order_book.tolk). It deploys Orders at addresses derived from a
// library reference to the Order's code, so the Order (wrappers/Order.compile.ts) is compiled first and its
// code hash written to contracts/order_code.tolk (and order_code.tact, for the Tact contracts).
import { compile as compileContract, CompilerConfig } from '@ton/blueprint';
import { beginCell } from '@ton/core';
import { promises as fs } from 'fs';
import path from 'path';

export const compile: CompilerConfig = {
    lang: 'tolk',
    entrypoint: 'contracts/order_book.tolk',
    withStackComments: true,
    preCompileHook: async () => {
        const code = await compileContract('Order');
        const root = path.join(__dirname, '..');
        const hash = code.hash();
        const hex = hash.toString('hex');
        // The library reference an Order's StateInit carries as its code: an exotic cell (type 2, the hash).
        const library = beginCell().storeUint(2, 8).storeBuffer(hash).endCell({ exotic: true });
        await fs.mkdir(path.join(root, 'build'), { recursive: true });
        await fs.writeFile(
            path.join(root, 'build', 'Order.compiled.json'),
            JSON.stringify({ hash: hex, hashBase64: hash.toString('base64'), hex: code.toBoc().toString('hex') }),
        );
        await fs.writeFile(
            path.join(root, 'contracts', 'order_code.tact'),
            '// Written by the build (wrappers/OrderBook.compile.ts) from contracts/order.tolk: do not edit.\n' +
                `const ORDER_CODE_HASH: Int = 0x${hex};\n`,
        );
        await fs.writeFile(
            path.join(root, 'contracts', 'order_code.tolk'),
            '// Written by the build (wrappers/OrderBook.compile.ts) from contracts/order.tolk: do not edit.\n' +
                '\n' +
                `const ORDER_CODE_HASH = 0x${hex}\n` +
                '\n' +
                "// The hash of the library reference to the Order's code (the code of every Order's StateInit).\n" +
                `const ORDER_LIBRARY_HASH = 0x${library.hash().toString('hex')}\n` +
                '\n' +
                '// That library reference, a constant cell of the code.\n' +
                '@pure\n' +
                'fun orderLibrary(): cell\n' +
                `    asm "<b 2 8 u, 0x${hex} 256 u, b>spec PUSHREF"\n`,
        );
    },
};
