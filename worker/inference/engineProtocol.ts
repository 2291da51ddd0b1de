import type { GenerationRequest, GenerationResult } from './engine';

/**
 * Messages between LlamaEngine (parent) and llamaRuntime (child process that runs llama.cpp). llama.cpp runs in
 * its own process because it aborts the process on some malformed models, and because node-llama-cpp is an
 * ES module with top-level await, which this CommonJS code base (and jest) cannot require().
 */

export interface LoadSettings {
    modelPath: string;
    gpu: false | 'auto';
    threads: number;
    contextSize: number;
    useMmap: boolean;
}

export type ParentMessage =
    | { type: 'load'; settings: LoadSettings }
    | { type: 'count'; id: number; request: Omit<GenerationRequest, 'maxTokens'> }
    | { type: 'generate'; id: number; request: GenerationRequest }
    | { type: 'close' };

export interface LoadedInfo {
    gpu: string | false;
    contextSize: number;
    trainContextSize: number;
    chatWrapper: string;
}

export type ChildMessage =
    | { type: 'progress'; fraction: number }
    | { type: 'loaded'; info: LoadedInfo }
    | { type: 'loadError'; message: string }
    | { type: 'tokens'; id: number; text: string }
    | { type: 'counted'; id: number; tokensIn: number }
    | { type: 'done'; id: number; result: GenerationResult }
    | { type: 'error'; id: number; message: string };
