import { parseGpuSetting } from '../../worker/inference/engineProtocol';

// The worker's gpu setting from the command line and the config file: an unknown backend is an error, never a
// silent fall back to the CPU.
describe('gpu setting', () => {
    it.each([
        ['cpu', false],
        ['false', false],
        ['auto', 'auto'],
        ['cuda', 'cuda'],
        ['vulkan', 'vulkan'],
    ] as const)('parses %s', (text, setting) => {
        expect(parseGpuSetting(text)).toBe(setting);
    });

    it('refuses an unknown backend by name', () => {
        expect(() => parseGpuSetting('metal')).toThrow('gpu must be one of cpu, auto, cuda, vulkan (got "metal")');
    });
});
