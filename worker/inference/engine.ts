/**
 * The inference interface the enclave depends on. The enclave only needs "give me the model's hash, run this
 * chat or completion, stream tokens, and count them exactly", so tests and other backends (a GPU server, a
 * different runtime) can plug in behind it.
 */

export interface ChatMessage {
    role: 'system' | 'user' | 'assistant';
    content: string;
}

export interface GenerationRequest {
    /** Exactly one of messages (chat, rendered with the model's chat template) or prompt (raw completion). */
    messages?: ChatMessage[];
    prompt?: string;
    /** Hard cap on generated tokens; the enclave passes the client-signed maxTokens. */
    maxTokens: number;
    /** 0 = greedy (deterministic). */
    temperature?: number;
    topP?: number;
    seed?: number;
}

export type FinishReason = 'stop' | 'length';

export interface GenerationResult {
    text: string;
    finishReason: FinishReason;
    /** Prompt tokens evaluated for this request, without the leading BOS token. Billed at priceIn. */
    tokensIn: number;
    /** Tokens generated, as streamed to onToken. Billed at priceOut. */
    tokensOut: number;
}

export interface InferenceEngine {
    /** sha256 of the model file the engine loaded: the on-chain model id. */
    readonly modelHash: Buffer;
    /**
     * Counts the prompt's tokens exactly as generate() bills them, without running the model. The enclave uses
     * it to check the worst-case cost against the client's spend cap and the order's budget before inference.
     */
    countInputTokens(request: Omit<GenerationRequest, 'maxTokens'>): Promise<number>;
    generate(request: GenerationRequest, onToken?: (text: string) => void): Promise<GenerationResult>;
    close(): Promise<void>;
}
