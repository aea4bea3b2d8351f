import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFromConfig, readAgentConfig, defaultAgentConfigPath, Issuer, loadKek, MaskidErrorCheck } from './agent-config-helpers.js';
import { createRootKeyFile, DEV_ROOT_KEY_FILE, initIssuer } from '@maskid/issuer';
import { tempDir } from '../helpers.js';

describe('agent.yml loader', () => {
  it('builds the repository agent.yml with the node:crypto KMS and both credential providers', async () => {
    const config = readAgentConfig(defaultAgentConfigPath());
    assert.ok(config['agent'] && config['keyManager'] && config['credentialPlugin']);
    const { dir, cleanup } = tempDir();
    try {
      const issuer = await Issuer.open({ dataDir: dir, kek: loadKek({ dev: true }), dev: true }, true);
      try {
        assert.deepEqual((await issuer.agent.keyManagerGetKeyManagementSystems()).sort(), ['local', 'node']);
        const formats = await issuer.agent.listUsableProofFormats({
          did: 'did:x',
          keys: [{ kid: 'k', kms: 'node', type: 'Secp256r1', publicKeyHex: '' }],
          provider: 'x',
          services: [],
        } as never);
        assert.ok(formats.includes('vc+sd-jwt' as never) && formats.includes('vc+jwt' as never));
      } finally {
        await issuer.close();
      }
    } finally {
      cleanup();
    }
  });

  it('refuses modules outside the allow-list, dangling $refs, cycles and bad YAML', async () => {
    await assert.rejects(createFromConfig({ a: { $require: 'node:child_process#exec', $args: [] } }, '/a', {}), MaskidErrorCheck('ERR_CONFIG_INVALID'));
    await assert.rejects(createFromConfig({ a: { $ref: '/nowhere' } }, '/a', {}), MaskidErrorCheck('ERR_CONFIG_INVALID'));
    await assert.rejects(createFromConfig({ a: { $ref: '/b' }, b: { $ref: '/a' } }, '/a', {}), MaskidErrorCheck('ERR_CONFIG_INVALID'));
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'bad.yml'), 'agent: [unclosed');
      assert.throws(() => readAgentConfig(join(dir, 'bad.yml')), MaskidErrorCheck('ERR_CONFIG_INVALID'));
      assert.throws(() => readAgentConfig(join(dir, 'missing.yml')), MaskidErrorCheck('ERR_CONFIG_INVALID'));
    } finally {
      cleanup();
    }
  });

  it('resolves $env and $ref into runtime objects', async () => {
    process.env['MASKID_TEST_VALUE'] = 'from-env';
    const v = await createFromConfig<{ e: string; r: number }>({ x: { e: { $env: 'MASKID_TEST_VALUE' }, r: { $ref: '/runtime/n' } } }, '/x', { n: 7 }, process.env);
    assert.deepEqual(v, { e: 'from-env', r: 7 });
  });
});

describe('key-encryption key', () => {
  it('is required, never taken from the data directory, and a wrong one is refused', async () => {
    assert.throws(() => loadKek({}), MaskidErrorCheck('ERR_KEK_MISSING'));
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'kek'), 'correct horse battery staple and more');
      writeFileSync(join(dir, 'wrong'), 'another long passphrase entirely');
      writeFileSync(join(dir, 'short'), 'abc');
      assert.throws(() => loadKek({ kekFile: join(dir, 'short') }), MaskidErrorCheck('ERR_KEK_INVALID'));
      assert.throws(() => loadKek({ kekFile: join(dir, 'absent') }), MaskidErrorCheck('ERR_KEK_MISSING'));
      const data = join(dir, 'data');
      const issuer = await Issuer.open({ dataDir: data, kek: loadKek({ kekFile: join(dir, 'kek') }) }, true);
      await assert.rejects(
        initIssuer(issuer, { url: 'https://id.example.gov' }),
        (e: Error & { code?: string }) => e.code === 'ERR_INPUT_INVALID' && /root-key create/.test(e.message),
        'outside --dev the root key must be given',
      );
      await initIssuer(issuer, { url: 'https://id.example.gov', rootKey: await createRootKeyFile(join(dir, 'root.jwk')) });
      assert.equal(existsSync(join(data, DEV_ROOT_KEY_FILE)), false, 'no root key in the data directory');
      await issuer.close();
      await assert.rejects(Issuer.open({ dataDir: data, kek: loadKek({ kekFile: join(dir, 'wrong') }) }), MaskidErrorCheck('ERR_KEK_INVALID'));
      const again = await Issuer.open({ dataDir: data, kek: loadKek({ kekFile: join(dir, 'kek') }) });
      assert.equal((await again.settings()).did, 'did:web:id.example.gov');
      await again.close();
    } finally {
      cleanup();
    }
  });

  it('refuses http issuer URLs without --dev and refuses to replace an issuer', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const issuer = await Issuer.open({ dataDir: dir, kek: loadKek({ dev: true }) }, true);
      await assert.rejects(initIssuer(issuer, { url: 'http://localhost:8443' }), MaskidErrorCheck('ERR_INPUT_INVALID'));
      const rootKey = await createRootKeyFile(join(dir, 'root.jwk'));
      await initIssuer(issuer, { url: 'https://id.example.gov', rootKey });
      const again = await initIssuer(issuer, { url: 'https://id.example.gov' });
      assert.equal(again.created, false);
      await assert.rejects(initIssuer(issuer, { url: 'https://other.example.gov' }), MaskidErrorCheck('ERR_CONFLICT'));
      await issuer.close();
    } finally {
      cleanup();
    }
  });
});
