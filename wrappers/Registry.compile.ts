// Registry.tact imports every other contract, so this one compile emits the whole market: Registry,
// Provider, OrderBook and Order (wrappers/<Name>.ts re-export each).
import { CompilerConfig } from '@ton/blueprint';

export const compile: CompilerConfig = {
    lang: 'tact',
    target: 'contracts/registry.tact',
    options: {
        debug: false,
        external: true,
    },
};
