import { Issuer, loadKek } from '@maskid/issuer';
const db = process.argv[2];
const issuer = await Issuer.open({ dataDir: '/tmp/pgtry', kek: loadKek({ dev: true }), dev: true, db }, true);
console.log(await issuer.init({ url: 'http://localhost:8443' }));
await issuer.close();
