import Fastify, { FastifyInstance, FastifyReply } from 'fastify';
import { randomUUID } from 'crypto';
import { ClientError } from '../sdk/errors';
import { badRequest, fromClientError, GatewayError, unknownModel } from './openaiErrors';
import { chatCompletionRequest, completionRequest, describeIssue } from './openaiSchemas';
import { OrderManager, ServedRequest } from './orderManager';

/** A model as the gateway lists it: its allowlisted hash, a name, and what the market offers now. */
export interface ModelListing {
    id: string; // the name apps pass as `model` (the allowlist metadata), or the hash when unnamed
    hash: string; // sha256 of the GGUF file, hex
    bestAskIn: bigint | null; // nanoTON per input token, null when no active provider serves it
    bestAskOut: bigint | null;
    providers: number; // active attested providers serving it
    freeCapacity: number; // sum of their free order slots
}

export interface MarketView {
    models(): Promise<ModelListing[]>;
}

export interface GatewayOptions {
    market: MarketView;
    orders: OrderManager;
    defaultMaxTokens?: number;
    created?: () => number;
}

/**
 * OpenAI-compatible HTTP API over the market: apps switch by changing their base URL. Prompts are sealed to
 * the matched enclave by the SDK; the gateway verifies the attestation before the first request to a
 * provider and every receipt after each response (both in the SDK), and reports tokens and nanoTON in usage.
 */
export function buildGateway(opts: GatewayOptions): FastifyInstance {
    const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
    const now = opts.created ?? (() => Math.floor(Date.now() / 1000));

    app.setErrorHandler((error, _req, reply) => {
        const err = error as Error & { validation?: unknown; statusCode?: number };
        if (err instanceof GatewayError) return reply.status(err.status).send(err.toJSON());
        if (err instanceof ClientError) {
            const g = fromClientError(err);
            return reply.status(g.status).send(g.toJSON());
        }
        if (err.validation || err.statusCode === 400) {
            return reply.status(400).send(badRequest(err.message).toJSON());
        }
        return reply.status(500).send(new GatewayError(500, 'server_error', 'internal_error', err.message).toJSON());
    });
    app.setNotFoundHandler((req, reply) => {
        reply
            .status(404)
            .send(
                new GatewayError(
                    404,
                    'invalid_request_error',
                    'not_found',
                    `No route ${req.method} ${req.url}`,
                ).toJSON(),
            );
    });

    async function resolveModel(name: string): Promise<ModelListing> {
        const models = await opts.market.models();
        const m = models.find((x) => x.id === name || x.hash === name.replace(/^0x/, '').toLowerCase());
        if (!m) throw unknownModel(name);
        return m;
    }

    app.get('/v1/models', async () => {
        const models = await opts.market.models();
        return {
            object: 'list',
            data: models.map((m) => ({
                id: m.id,
                object: 'model',
                created: 0,
                owned_by: 'cocoon-ton',
                cocoon: {
                    sha256: m.hash,
                    best_ask_nanoton_per_token:
                        m.bestAskIn === null
                            ? null
                            : { input: m.bestAskIn.toString(), output: m.bestAskOut!.toString() },
                    providers: m.providers,
                    free_capacity: m.freeCapacity,
                },
            })),
        };
    });

    function usage(r: ServedRequest) {
        const promptCost = BigInt(r.tokensIn) * r.priceIn;
        const completionCost = BigInt(r.tokensOut) * r.priceOut;
        return {
            prompt_tokens: r.tokensIn,
            completion_tokens: r.tokensOut,
            total_tokens: r.tokensIn + r.tokensOut,
            cost_nanoton: {
                prompt: promptCost.toString(),
                completion: completionCost.toString(),
                total: (promptCost + completionCost).toString(),
            },
            receipt_seqno: r.receipt.fields.seqno,
        };
    }

    function setHeaders(reply: FastifyReply, r: ServedRequest) {
        reply.header('x-cocoon-provider', r.provider).header('x-cocoon-order', r.order);
    }

    /** Server-sent events in OpenAI's chunk format; usage rides on the last chunk before [DONE]. */
    function stream(
        reply: FastifyReply,
        r: ServedRequest,
        chunk: (delta: string | null, finish: string | null) => object,
    ) {
        setHeaders(reply, r);
        reply.raw.writeHead(200, {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
            connection: 'keep-alive',
            'x-cocoon-provider': r.provider,
            'x-cocoon-order': r.order,
        });
        const pieces = r.text.match(/\S+\s*|\s+/g) ?? [];
        for (const p of pieces) reply.raw.write(`data: ${JSON.stringify(chunk(p, null))}\n\n`);
        reply.raw.write(`data: ${JSON.stringify({ ...chunk(null, r.finishReason), usage: usage(r) })}\n\n`);
        reply.raw.write('data: [DONE]\n\n');
        reply.raw.end();
        return reply;
    }

    app.post('/v1/chat/completions', async (req, reply) => {
        const parsed = chatCompletionRequest.safeParse(req.body);
        if (!parsed.success) {
            const { message, param } = describeIssue(parsed.error);
            throw badRequest(message, param);
        }
        const body = parsed.data;
        const model = await resolveModel(body.model);
        const r = await opts.orders.serve(
            model.hash,
            body.messages.map((m) => ({
                // The enclave's chat template knows system/user/assistant: developer instructions are system
                // messages and tool results reach the model as user input.
                role: m.role === 'developer' ? 'system' : m.role === 'tool' ? 'user' : m.role,
                content: m.content as string,
            })),
            {
                maxTokens: body.max_completion_tokens ?? body.max_tokens ?? opts.defaultMaxTokens ?? 256,
                temperature: body.temperature,
                topP: body.top_p,
                seed: body.seed,
                maxPrice: body.max_price === undefined ? undefined : BigInt(body.max_price),
            },
        );
        const id = `chatcmpl-${randomUUID()}`;
        const created = now();
        if (body.stream) {
            return stream(reply, r, (delta, finish) => ({
                id,
                object: 'chat.completion.chunk',
                created,
                model: body.model,
                choices: [
                    {
                        index: 0,
                        delta: delta === null ? {} : { role: 'assistant', content: delta },
                        finish_reason: finish,
                    },
                ],
            }));
        }
        setHeaders(reply, r);
        return {
            id,
            object: 'chat.completion',
            created,
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: r.text }, finish_reason: r.finishReason }],
            usage: usage(r),
        };
    });

    app.post('/v1/completions', async (req, reply) => {
        const parsed = completionRequest.safeParse(req.body);
        if (!parsed.success) {
            const { message, param } = describeIssue(parsed.error);
            throw badRequest(message, param);
        }
        const body = parsed.data;
        const model = await resolveModel(body.model);
        const prompt = Array.isArray(body.prompt) ? body.prompt[0] : body.prompt;
        const r = await opts.orders.serve(model.hash, prompt, {
            maxTokens: body.max_tokens ?? opts.defaultMaxTokens ?? 256,
            temperature: body.temperature,
            topP: body.top_p,
            seed: body.seed,
            maxPrice: body.max_price === undefined ? undefined : BigInt(body.max_price),
        });
        const id = `cmpl-${randomUUID()}`;
        const created = now();
        if (body.stream) {
            return stream(reply, r, (delta, finish) => ({
                id,
                object: 'text_completion',
                created,
                model: body.model,
                choices: [{ index: 0, text: delta ?? '', finish_reason: finish, logprobs: null }],
            }));
        }
        setHeaders(reply, r);
        return {
            id,
            object: 'text_completion',
            created,
            model: body.model,
            choices: [{ index: 0, text: r.text, finish_reason: r.finishReason, logprobs: null }],
            usage: usage(r),
        };
    });

    app.get('/health', async () => ({
        ok: true,
        orders: opts.orders.openOrders().map((o) => ({ ...o, budget: o.budget.toString(), spent: o.spent.toString() })),
    }));
    return app;
}
