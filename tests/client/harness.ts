/**
 * A whole market on an in-process localnet for the client tests: Registry + OrderBook deployed and set up, a
 * provider registered with a real Enclave (tiny model, LlamaEngine, simulated TDX under a temp dev root), a
 * test double of the worker host speaking the worker HTTP API, and a keeper function that matches orders.
 */
import { Address, beginCell, Cell, toNano } from '@ton/core';
import { Blockchain } from '@ton/sandbox';
import { TonClient } from '@ton/ton';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Collateral, computeMeasurement, devCollateral, DevRoot, loadOrCreateDevRoot } from '../../attestation';
import { SimulatedTdxBackend, simulatedTdFields } from '../../attestation/tee/simulatedBackend';
import { Localnet, startLocalnet } from '../../localnet/server';
import { Enclave } from '../../worker/enclave/enclave';
import { EnclaveRefusal } from '../../worker/enclave/refusal';
import { LlamaEngine } from '../../worker/inference/llamaEngine';
import { Registry } from '../../wrappers/Registry';
import { Order } from '../../wrappers/Order';
import { Provider } from '../../wrappers/Provider';
import { OrderBook } from '../../wrappers/OrderBook';
import { defaultParams } from '../../wrappers/params';
import { NETWORK_ID } from '../../wrappers/networks';
import { certToCell, signaturesToCell, signCert } from '../../wrappers/formats/certificate';
import { bufferToUint256, newEd25519KeyPair, uint256ToBuffer } from '../../wrappers/formats/ed25519';
import { writeTinyModel } from '../worker/helpers';
import { CocoonTonClient } from '../../wrappers/tonClient';

export const NETWORK = NETWORK_ID.localnet;
export const PRICE_IN = 10n;
export const PRICE_OUT = 20n;

export interface ReplyJson {
    responseCiphertext: string;
    receipt: { boc: string; signature: string };
    tokensIn: number;
    tokensOut: number;
}

export interface Harness {
    localnet: Localnet;
    ton: TonClient;
    dir: string;
    devRoot: DevRoot;
    collateral: Collateral;
    registry: Address;
    orderBook: Address;
    enclave: Enclave;
    engine: LlamaEngine;
    model: string;
    providerOwner: Address;
    deadProviderOwner: Address;
    hostUrl: string;
    /** Mutates each request reply before the host sends it (tests tamper with receipts through it). */
    tamper: { reply?: (r: ReplyJson) => ReplyJson; dropAnswers?: number };
    /** Requests the enclave served (a retried identical request is answered from the host's cache instead). */
    served: { count: number };
    match(orderId: bigint, owner?: Address): Promise<void>;
    /** The provider's host claims a receipt (final), as a worker's claimer would. */
    claim(order: Address, receipt: Cell, signature: Buffer, final: boolean): Promise<void>;
    close(): Promise<void>;
}

function sha256(b: Buffer | string): Buffer {
    return createHash('sha256').update(b).digest();
}

export async function startHarness(): Promise<Harness> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-client-'));
    const devRoot = await loadOrCreateDevRoot(path.join(dir, 'att'));
    const collateral = await devCollateral(devRoot);
    const engine = await LlamaEngine.load({ modelPath: writeTinyModel(), gpu: false, threads: 1 });
    const model = engine.modelHash.toString('hex');
    const localnet = await startLocalnet({ walletCount: 2, blockIntervalMs: 500 });
    const ton = new CocoonTonClient({ endpoint: localnet.url });
    const apply = <T>(fn: (b: Blockchain) => Promise<T>) => localnet.chain.apply(fn).then((r) => r.value);

    const verifier = newEd25519KeyPair();
    const now = () => Math.floor(Date.now() / 1000);
    const { registry, orderBook } = await apply(async (b) => {
        const gov = await b.treasury('governance');
        const params = { ...defaultParams('localnet', gov.address), closeGrace: 2n, disputeWindow: 2n };
        const reg = b.openContract(await Registry.fromInit(gov.address, BigInt(NETWORK), 0n));
        await reg.send(gov.getSender(), { value: toNano('1') }, { $$type: 'Setup', queryId: 0n, params });
        const q = {
            $$type: 'AddVerifier' as const,
            queryId: 0n,
            index: 0n,
            publicKey: bufferToUint256(verifier.publicKey),
        };
        await reg.send(gov.getSender(), { value: toNano('0.05') }, q);
        await reg.send(
            gov.getSender(),
            { value: toNano('0.05') },
            {
                $$type: 'AddMeasurement',
                queryId: 0n,
                measurement: bufferToUint256(computeMeasurement(simulatedTdFields())),
                expiresAt: BigInt(now() + 30 * 86400),
            },
        );
        await reg.send(
            gov.getSender(),
            { value: toNano('0.1') },
            {
                $$type: 'AddModel',
                queryId: 0n,
                model: BigInt('0x' + model),
                metadata: beginCell().storeStringTail('tiny').endCell(),
            },
        );
        return { registry: reg.address, orderBook: (await reg.getRegistryData()).orderBook };
    });

    const providerOwner = await apply(async (b) => (await b.treasury('provider')).address);
    const deadProviderOwner = await apply(async (b) => (await b.treasury('provider-dead')).address);
    const tee = new SimulatedTdxBackend(devRoot);
    const enclave = await Enclave.create({
        network: NETWORK,
        registry,
        provider: providerOwner,
        models: new Map([[model, engine]]),
        tee,
    });

    const tamper: Harness['tamper'] = {};
    const served = { count: 0 };
    // As the real host's receipt store: the same request bytes get the same answer, never a second run.
    const answered = new Map<string, ReplyJson>();
    const server = http.createServer((req, res) => void handle(req, res));
    const send = (res: http.ServerResponse, status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
    };
    // The worker host's HTTP API, as a test double: attestation, and requests passed to the enclave with the
    // order's terms read on-chain.
    async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
        try {
            const url = new URL(req.url ?? '/', 'http://host');
            if (req.method === 'GET' && url.pathname === '/v1/attestation') {
                const challenge = url.searchParams.get('nonce');
                const nonce = challenge ? Buffer.from(challenge, 'hex') : localnet.latestBlock().rootHash;
                const a = await enclave.attest(nonce);
                return send(res, 200, {
                    quote: a.quote.toString('hex'),
                    ed25519Pub: a.ed25519Pub.toString('hex'),
                    x25519Pub: a.x25519Pub.toString('hex'),
                    measurement: computeMeasurement(simulatedTdFields()).toString('hex'),
                    models: [{ sha256: model, priceIn: PRICE_IN.toString(), priceOut: PRICE_OUT.toString() }],
                    provider: providerOwner.toString(),
                    registry: registry.toString(),
                    network: NETWORK,
                    nonce: nonce.toString('hex'),
                });
            }
            const m = /^\/v1\/orders\/([^/]+)\/requests$/.exec(req.url ?? '');
            if (req.method === 'POST' && m) {
                const chunks: Buffer[] = [];
                for await (const c of req) chunks.push(c as Buffer);
                const body = JSON.parse(Buffer.concat(chunks).toString());
                const address = Address.parse(decodeURIComponent(m[1]));
                const dropOrSend = (r: ReplyJson) => {
                    if (tamper.dropAnswers) {
                        // Served, but the answer is lost on the way back (connection reset).
                        tamper.dropAnswers--;
                        return req.socket.destroy();
                    }
                    send(res, 200, tamper.reply ? tamper.reply(r) : r);
                };
                const cached = answered.get(body.requestBoc);
                if (cached) return dropOrSend(cached);
                const d = await ton.open(Order.fromAddress(address)).getOrderData();
                const b64 = (s: string) => Buffer.from(s, 'base64');
                const out = await enclave.serve({
                    requestCell: b64(body.requestBoc),
                    clientSignature: b64(body.clientSignature),
                    payload: { enc: b64(body.payload.enc), ciphertext: b64(body.payload.ciphertext) },
                    lastReceipt: body.lastReceipt
                        ? { cell: b64(body.lastReceipt.boc), signature: b64(body.lastReceipt.signature) }
                        : undefined,
                    order: {
                        address,
                        clientKey: uint256ToBuffer(d.clientKey),
                        model: uint256ToBuffer(d.model),
                        priceIn: d.priceIn,
                        priceOut: d.priceOut,
                        budget: d.budget,
                    },
                });
                served.count++;
                const reply: ReplyJson = {
                    responseCiphertext: out.responseCiphertext.toString('base64'),
                    receipt: {
                        boc: out.receipt.cell.toBoc().toString('base64'),
                        signature: out.receipt.signature.toString('base64'),
                    },
                    tokensIn: out.tokensIn,
                    tokensOut: out.tokensOut,
                };
                answered.set(body.requestBoc, reply);
                return dropOrSend(reply);
            }
            send(res, 404, { code: 'NOT_FOUND' });
        } catch (e) {
            if (e instanceof EnclaveRefusal) return send(res, 400, { error: { code: e.code, message: e.message } });
            send(res, 500, { code: 'INTERNAL', message: (e as Error).message });
        }
    }
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const hostUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // A port nothing listens on: the endpoint of the provider whose worker is down.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));

    const register = async (name: string, keys: { ed: Buffer; x: Buffer }, endpoint: string) =>
        apply(async (b) => {
            const owner = await b.treasury(name);
            const reg = b.openContract(Registry.fromAddress(registry));
            const cert = {
                network: NETWORK,
                validUntil: now() + 7200,
                tcbStatus: 0,
                quoteHash: sha256(`quote:${name}`),
                registry,
                provider: owner.address,
                ed25519Pub: keys.ed,
                x25519Pub: keys.x,
                measurement: computeMeasurement(simulatedTdFields()),
            };
            const signatures = signaturesToCell([{ index: 0, signature: signCert(cert, verifier.secretKey) }]);
            await reg.send(
                owner.getSender(),
                { value: toNano('2.3') },
                {
                    $$type: 'RegisterProvider',
                    queryId: 0n,
                    stake: toNano('2'),
                    renewal: false,
                    cert: certToCell(cert),
                    signatures,
                },
            );
            const p = b.openContract(Provider.fromAddress(await reg.getProviderAddress(owner.address)));
            const v = { value: toNano('0.05') };
            await p.send(owner.getSender(), v, {
                $$type: 'SetAsk',
                queryId: 0n,
                model: BigInt('0x' + model),
                priceIn: PRICE_IN,
                priceOut: PRICE_OUT,
            });
            await p.send(owner.getSender(), v, { $$type: 'SetCapacity', queryId: 0n, capacity: 8n });
            await p.send(owner.getSender(), v, { $$type: 'SetEndpoint', queryId: 0n, endpoint });
            if (!(await p.getRegistered())) throw new Error(`provider ${name} did not register`);
        });
    const keys = enclave.publicKeys();
    await register('provider', { ed: keys.ed25519Pub, x: keys.x25519Pub }, hostUrl);
    await register('provider-dead', { ed: sha256('dead-ed'), x: sha256('dead-x') }, deadUrl);

    return {
        localnet,
        ton,
        dir,
        devRoot,
        collateral,
        registry,
        orderBook,
        enclave,
        engine,
        model,
        providerOwner,
        deadProviderOwner,
        hostUrl,
        tamper,
        served,
        match: (orderId, owner = providerOwner) =>
            apply(async (b) => {
                const keeper = await b.treasury('keeper');
                const book = b.openContract(OrderBook.fromAddress(orderBook));
                const { model, expiresAt } = await b
                    .openContract(Order.fromAddress(await book.getOrderAddress(orderId)))
                    .getOrderData();
                await book.send(
                    keeper.getSender(),
                    { value: toNano('0.05') },
                    {
                        $$type: 'MatchOrder',
                        queryId: 0n,
                        orderId,
                        provider: owner,
                        askIn: PRICE_IN,
                        askOut: PRICE_OUT,
                        model,
                        expiresAt,
                    },
                );
            }),
        claim: (order, receipt, signature, final) =>
            apply(async (b) => {
                const owner = await b.treasury('provider');
                const o = b.openContract(Order.fromAddress(order));
                await o.send(
                    owner.getSender(),
                    { value: toNano('0.05') },
                    { $$type: 'Claim', queryId: 0n, receipt, signature, final },
                );
            }),
        close: async () => {
            await new Promise((r) => server.close(r));
            await localnet.close();
            await engine.close();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
