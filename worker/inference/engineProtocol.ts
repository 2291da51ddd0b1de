import type { GenerationRequest, GenerationResult } from './engine';

/**
 * Messages between LlamaEngine (parent) and llamaRuntime (child process that runs llama.cpp). llama.cpp runs in
 * its own process because it aborts the process on some malformed models, and because node-llama-cpp is an
 * ES module with top-level await, which this CommonJS code base (and jest) cannot require().
 */

/**
 * Which llama.cpp backend runs the model. 'auto' takes the best one node-llama-cpp finds (CUDA, then Vulkan, then
 * the CPU); 'cuda' or 'vulkan' insist on that GPU backend and fail the load when it cannot start, so a GPU worker
 * never silently serves from its CPU; false runs on the CPU.
 */
export type GpuSetting = false | 'auto' | 'cuda' | 'vulkan';

export const GPU_SETTINGS: readonly GpuSetting[] = [false, 'auto', 'cuda', 'vulkan'];

/** Parses a command-line spelling ('false', 'cpu', 'auto', 'cuda', 'vulkan'). */
export function parseGpuSetting(s: string): GpuSetting {
    if (s === 'false' || s === 'cpu') return false;
    if (s === 'auto' || s === 'cuda' || s === 'vulkan') return s;
    throw new Error(`gpu must be one of cpu, auto, cuda, vulkan (got "${s}")`);
}

export interface LoadSettings {
    modelPath: string;
    gpu: GpuSetting;
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
    /** The GPUs llama.cpp sees (empty on the CPU), and how many of the model's layers it put on them. */
    gpuDevices: string[];
    gpuLayers: number;
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
