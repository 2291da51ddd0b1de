import { Address, fromNano, toNano } from '@ton/core';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { ORDER_STATE_NAMES, OrderState } from '../wrappers/Constants';
import { CliConfig, clientFromConfig, loadCliConfig } from './config';
import { ChainMarketView } from './gateway/marketView';
import { OrderManager } from './gateway/orderManager';
import { buildGateway } from './gateway/server';
import { ClientError } from './sdk/errors';
import { SessionData } from './sdk/session';

/**
 * `npm run client -- <command>`: a buyer's command line over the SDK (docs/CLIENT.md).
 *   ask --model M --budget X "prompt"   order (or reuse a live one), wait for a match, verify, ask, print
 *   orders                              sessions in the data dir with their on-chain state
 *   close [ORDER]                       close (default: the newest live order) and report the refund
 *   market                              a keeper's book if configured, else the chain's OrderBook and models
 *   serve [--port 10000]                OpenAI-compatible gateway (docs/GATEWAY.md); closes its orders on exit
 */
const program = new Command('cocoon-client').description('Cocoon-TON client: buy confidential inference');

function globalOptions(cmd: Command): Command {
    return cmd
        .option('--config <file>', 'JSON config file (default <data-dir>/config.json)')
        .addOption(new Option('--network <name>', 'network').choices(['localnet', 'testnet', 'mainnet']))
        .option('--endpoint <url>', 'toncenter v2 JSON-RPC endpoint (localnet default http://127.0.0.1:8081/jsonRPC)')
        .option('--registry <address>', 'Registry contract')
        .option('--mnemonic-file <file>', 'wallet mnemonic (24 words); or COCOON_MNEMONIC')
        .option('--wallet-index <n>', 'localnet: use this prefunded localnet wallet')
        .option('--data-dir <dir>', 'sessions and keys (default ~/.cocoon/client)')
        .option('--keeper-url <url>', "a keeper's book API")
        .option('--worker-endpoint <url>', "override the provider's on-chain endpoint")
        .option('--dev-root-dir <dir>', 'localnet: data dir holding the dev attestation root')
        .option('--root-der <file>', 'trusted attestation root (DER); default Intel SGX Root CA')
        .option('--collateral <file>', 'attestation collateral JSON; default fetched from the PCS/PCCS')
        .option('--pccs-url <url>', 'PCCS/PCS base URL for collateral');
}

function config(cmd: Command): CliConfig {
    return loadCliConfig(cmd.optsWithGlobals());
}

const ton = (n: bigint) => `${fromNano(n)} TON`;

const askFlags = z.object({
    model: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'model must be the sha256 of the GGUF file (64 hex digits)'),
    budget: z
        .string()
        .regex(/^\d+(\.\d+)?$/, 'budget is an amount of TON, e.g. 0.1')
        .transform((s) => toNano(s)),
    maxPriceIn: z.coerce.bigint().default(1_000_000n),
    maxPriceOut: z.coerce.bigint().default(1_000_000n),
    matchWithin: z.coerce.number().int().positive().default(60),
    firstReceiptWindow: z.coerce.number().int().positive().default(300),
    life: z.coerce.number().int().positive().default(1800),
    maxTokens: z.coerce.number().int().positive().default(256),
    temperature: z.coerce.number().min(0).max(2).optional(),
    system: z.string().optional(),
    order: z.string().optional(),
    new: z.boolean().optional(),
    close: z.boolean().optional(),
});

function parseFlags<T extends z.ZodTypeAny>(schema: T, v: unknown): z.infer<T> {
    const r = schema.safeParse(v);
    if (!r.success) {
        const lines = r.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`);
        throw new ClientError('CONFIG_INVALID', `invalid flags:\n${lines.join('\n')}`);
    }
    return r.data;
}

function live(s: SessionData): boolean {
    return !s.closed && s.expiresAt > Date.now() / 1000;
}

globalOptions(program.command('ask'))
    .description('ask a question; creates and matches an order unless a live one for the model exists')
    .argument('<prompt>', 'the question')
    .requiredOption('--model <sha256>', 'model hash')
    .option('--budget <ton>', 'budget of a new order in TON', '0.1')
    .option('--max-price-in <nanoton>', 'highest price per input token a new order accepts')
    .option('--max-price-out <nanoton>', 'highest price per output token a new order accepts')
    .option('--match-within <s>', 'seconds a keeper has to match a new order')
    .option('--first-receipt-window <s>', 'seconds the provider has for the first answer')
    .option('--life <s>', 'lifetime of a new order in seconds')
    .option('--max-tokens <n>', 'most tokens to generate')
    .option('--temperature <t>', 'sampling temperature, 0 = greedy')
    .option('--system <text>', 'system message')
    .option('--order <address>', 'continue this order')
    .option('--new', 'always create a new order')
    .option('--close', 'close the order after the answer')
    .action(async (prompt: string, _opts, cmd: Command) => {
        const c = config(cmd);
        const f = parseFlags(askFlags, cmd.opts());
        const client = await clientFromConfig(c);
        const model = f.model.replace(/^0x/, '').toLowerCase();
        let order = f.order;
        if (!order && !f.new) {
            order = client.store
                .list()
                .find((s) => live(s) && s.model === model && s.registry === client.registry.toString())?.order;
        }
        if (!order) {
            const s = await client.createOrder({
                model,
                budget: f.budget,
                maxPriceIn: f.maxPriceIn,
                maxPriceOut: f.maxPriceOut,
                matchWithinS: f.matchWithin,
                firstReceiptWindowS: f.firstReceiptWindow,
                lifeS: f.life,
            });
            order = s.order;
            console.error(`order ${order} (id ${s.orderId}), budget ${ton(BigInt(s.budget))}; waiting for a match...`);
        }
        const d = await client.orderData(order);
        if (Number(d.state) !== OrderState.MATCHED) await client.waitForMatch(order, f.matchWithin * 1000 + 5000);
        const messages = [
            ...(f.system ? [{ role: 'system' as const, content: f.system }] : []),
            { role: 'user' as const, content: prompt },
        ];
        const r = await client.ask(order, messages, { maxTokens: f.maxTokens, temperature: f.temperature });
        console.log(r.text);
        console.error(
            `tokens in ${r.tokensIn}, out ${r.tokensOut}; cost ${ton(r.cost)} (session ${ton(r.totalCost)}); ` +
                `receipt #${r.receipt.fields.seqno}; order ${order}`,
        );
        if (f.close) {
            const s = await client.close(order);
            console.error(`closed: ${s.state}, paid ${ton(s.paid)}, refund ${ton(s.refund)}`);
        }
    });

globalOptions(program.command('orders'))
    .description('list the orders in the data dir')
    .option('--json', 'print JSON')
    .action(async (_opts, cmd: Command) => {
        const c = config(cmd);
        const client = await clientFromConfig(c);
        const rows = [];
        for (const s of client.store.list()) {
            const d = await client.chain.orderData(Address.parse(s.order));
            const last = s.receipts[s.receipts.length - 1];
            rows.push({
                order: s.order,
                id: s.orderId,
                model: s.model.slice(0, 16),
                state: d ? ORDER_STATE_NAMES[Number(d.state)] : 'not deployed',
                budget: fromNano(BigInt(s.budget)),
                questions: s.receipts.length,
                tokens: last ? `${last.tokensIn}/${last.tokensOut}` : '0/0',
                spent:
                    d && last ? fromNano(BigInt(last.tokensIn) * d.priceIn + BigInt(last.tokensOut) * d.priceOut) : '0',
                paid: d ? fromNano(d.paid) : '0',
            });
        }
        if (cmd.opts().json) console.log(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) console.log('no orders');
        else console.table(rows);
    });

globalOptions(program.command('close'))
    .description('close an order (default: the newest live one) and wait for the refund')
    .argument('[order]', 'order address')
    .option('--no-wait', 'do not wait for settlement')
    .action(async (orderArg: string | undefined, _opts, cmd: Command) => {
        const c = config(cmd);
        const client = await clientFromConfig(c);
        const order = orderArg ?? client.store.list().find(live)?.order;
        if (!order) throw new ClientError('ORDER_NOT_FOUND', 'no live order in the data dir; name one');
        const s = await client.close(order, { wait: cmd.opts().wait !== false });
        console.log(
            `order ${order}: ${s.state}; paid ${ton(s.paid)}, refund ${ton(s.refund)}, wallet change ${ton(s.balanceDelta)}`,
        );
    });

globalOptions(program.command('market'))
    .description("show the market: a keeper's book when configured, else the chain")
    .option('--json', 'print JSON')
    .action(async (_opts, cmd: Command) => {
        const c = config(cmd);
        if (c.keeperUrl) {
            for (const p of ['/book', '/market']) {
                const res = await fetch(c.keeperUrl.replace(/\/+$/, '') + p).catch(() => undefined);
                if (res?.ok) {
                    console.log(JSON.stringify(await res.json(), null, 2));
                    return;
                }
            }
            console.error(`keeper ${c.keeperUrl} has no /book or /market; reading the chain`);
        }
        const client = await clientFromConfig(c);
        const book = await client.orderBook();
        const data = await client.chain.orderBookData(book);
        const models = await client.chain.models(client.registry);
        const out = {
            network: c.network,
            registry: client.registry.toString(),
            orderBook: book.toString(),
            paused: data.config.paused,
            orders: data.nextOrderId.toString(),
            matches: data.matchesForwarded.toString(),
            matchFee: fromNano(data.config.matchFee),
            minBudget: fromNano(data.config.minBudget),
            minClaim: fromNano(data.config.minClaim),
            feeBps: Number(data.config.feeBps),
            maxOrderLifeS: Number(data.config.maxOrderLife),
            models,
        };
        if (cmd.opts().json) console.log(JSON.stringify(out, null, 2));
        else {
            const { models: m, ...rest } = out;
            console.table(rest);
            console.table(m);
        }
    });

const tonAmount = (what: string) =>
    z
        .string()
        .regex(/^\d+(\.\d+)?$/, `${what} is an amount of TON, e.g. 0.5`)
        .transform((s) => toNano(s));

const serveFlags = z.object({
    port: z.coerce.number().int().min(0).max(65535).default(10000),
    host: z.string().default('127.0.0.1'),
    keeper: z.string().url().optional(),
    budgetPerOrder: tonAmount('budget-per-order').default(toNano('0.5')),
    maxPrice: z.coerce.bigint().default(1_000_000n),
    spendCap: tonAmount('spend-cap').default(toNano('5')),
    matchTimeout: z.coerce.number().int().positive().default(60),
    life: z.coerce.number().int().positive().default(1800),
    maxTokens: z.coerce.number().int().positive().default(256),
});

globalOptions(program.command('serve'))
    .description('run the OpenAI-compatible gateway (base URL http://HOST:PORT/v1); closes its orders on exit')
    .option('--port <n>', 'port to listen on', '10000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--keeper <url>', "a keeper's book API for prices and providers (default --keeper-url; else the chain)")
    .option('--budget-per-order <ton>', 'TON escrowed per order (one live order per model)', '0.5')
    .option('--max-price <nanoton>', 'highest price per input and output token an order accepts', '1000000')
    .option('--spend-cap <ton>', "most TON this gateway commits: closed orders' spend plus live budgets", '5')
    .option('--match-timeout <s>', 'seconds a keeper has to match a new order', '60')
    .option('--life <s>', 'lifetime of an order in seconds', '1800')
    .option('--max-tokens <n>', 'max_tokens when a request gives none', '256')
    .action(async (_opts, cmd: Command) => {
        const c = config(cmd);
        const f = parseFlags(serveFlags, cmd.opts());
        const client = await clientFromConfig(c);
        const market = new ChainMarketView({
            endpoint: c.endpoint!,
            registry: client.registry,
            keeperUrl: f.keeper ?? c.keeperUrl,
        });
        const orders = new OrderManager(client, {
            budgetPerOrder: f.budgetPerOrder,
            maxPricePerToken: f.maxPrice,
            totalSpendCap: f.spendCap,
            matchTimeoutMs: f.matchTimeout * 1000,
            orderLifeS: f.life,
        });
        const app = buildGateway({ market, orders, defaultMaxTokens: f.maxTokens });
        await app.listen({ host: f.host, port: f.port });
        const addr = app.server.address();
        const port = typeof addr === 'object' && addr ? addr.port : f.port;
        console.error(
            `gateway on http://${f.host}:${port}/v1 (network ${c.network}, registry ${client.registry.toString()}, ` +
                `wallet ${client.chain.address.toString()}); budget per order ${ton(f.budgetPerOrder)}, ` +
                `max price ${f.maxPrice} nanoTON/token, spend cap ${ton(f.spendCap)}`,
        );
        let stopping = false;
        const stop = async (signal: string) => {
            if (stopping) return;
            stopping = true;
            console.error(`${signal}: closing the gateway, then its orders (waits for the refunds)...`);
            await app.close();
            const results = await orders.closeEach();
            let back = 0n;
            for (const r of results) {
                if (r.settlement) {
                    back += r.settlement.refund;
                    console.error(
                        `order ${r.order} (${r.model.slice(0, 16)}): ${r.settlement.state}; ` +
                            `paid ${ton(r.settlement.paid)}, refund ${ton(r.settlement.refund)}`,
                    );
                } else {
                    console.error(`order ${r.order}: not settled: ${r.error?.message}`);
                }
            }
            console.error(`${results.length} order(s) closed; ${ton(back)} came back`);
            process.exit(results.every((r) => r.settlement) ? 0 : 1);
        };
        process.on('SIGINT', () => void stop('SIGINT'));
        process.on('SIGTERM', () => void stop('SIGTERM'));
    });

program.parseAsync(process.argv).catch((e: unknown) => {
    if (e instanceof ClientError) {
        console.error(`error ${e.message}`);
        process.exit(2);
    }
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
});
