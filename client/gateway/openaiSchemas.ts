import { z } from 'zod';

/** The subset of OpenAI's request bodies the gateway serves; unknown fields are accepted and ignored. */
const message = z.object({
    role: z.enum(['system', 'user', 'assistant', 'developer', 'tool']),
    content: z.union([
        z.string(),
        z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()).transform((parts) =>
            parts
                .filter((p) => p.type === 'text')
                .map((p) => p.text ?? '')
                .join(''),
        ),
    ]),
});

const common = {
    model: z.string().min(1),
    stream: z.boolean().optional(),
    max_tokens: z.number().int().positive().max(32768).optional(),
    max_completion_tokens: z.number().int().positive().max(32768).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    seed: z.number().int().optional(),
    user: z.string().optional(),
    /** Cocoon extension: cap on nanoTON per token for this request (lowers the gateway's configured cap). */
    max_price: z.number().int().nonnegative().optional(),
};

export const chatCompletionRequest = z
    .object({ ...common, messages: z.array(message).min(1, 'messages must not be empty') })
    .passthrough();
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;

export const completionRequest = z
    .object({ ...common, prompt: z.union([z.string(), z.array(z.string()).length(1)]) })
    .passthrough();
export type CompletionRequest = z.infer<typeof completionRequest>;

/** zod's first issue as a sentence naming the field, as OpenAI's `param`. */
export function describeIssue(e: z.ZodError): { message: string; param: string | null } {
    const issue = e.issues[0];
    const param = issue?.path.length ? issue.path.join('.') : null;
    return { message: `${param ? `${param}: ` : ''}${issue?.message ?? 'invalid request'}`, param };
}
