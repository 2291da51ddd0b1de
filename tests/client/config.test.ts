/** The CLI's configuration: file < environment < flags, validated with clear messages. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCliConfig } from '../../client/config';
import { ClientError } from '../../client/sdk/errors';

const REGISTRY = 'EQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM9c';

describe('CLI config', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-cli-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('defaults to localnet and its endpoint', () => {
        const c = loadCliConfig({ registry: REGISTRY, dataDir: dir }, {});
        expect(c.network).toBe('localnet');
        expect(c.endpoint).toBe('http://127.0.0.1:8081/jsonRPC');
    });

    it('layers file, environment and flags', () => {
        const file = path.join(dir, 'config.json');
        fs.writeFileSync(file, JSON.stringify({ registry: REGISTRY, keeperUrl: 'http://keeper:1' }));
        const c = loadCliConfig(
            { dataDir: dir, keeperUrl: 'http://flag:2' },
            { COCOON_NETWORK: 'testnet', COCOON_ENDPOINT: 'https://testnet.toncenter.com/api/v2/jsonRPC' },
        );
        expect(c.network).toBe('testnet');
        expect(c.registry).toBe(REGISTRY);
        expect(c.keeperUrl).toBe('http://flag:2');
        fs.rmSync(file);
    });

    it('explains what is wrong', () => {
        const run = () => loadCliConfig({ registry: 'nope', network: 'testnet', dataDir: dir }, {});
        expect(run).toThrow(ClientError);
        expect(run).toThrow(/registry: not a TON address/);
        expect(run).toThrow(/testnet and mainnet need --endpoint/);
        expect(() => loadCliConfig({ registry: REGISTRY, network: 'moon', dataDir: dir }, {})).toThrow(/network/);
    });
});
