import { generateSigningJwk } from './keys.js';

// `npm run keygen [-- P-256]`: prints a new private JWK to put first in AUTH_SIGNING_KEYS.
// It is a secret: store it where the service's other secrets are, never in the repository.
const kind = process.argv[2] === 'P-256' ? 'P-256' : 'Ed25519';
process.stdout.write(`${JSON.stringify(generateSigningJwk(kind))}\n`);
