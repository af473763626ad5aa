import { Router } from 'express';
import { createAuthService } from '../auth/auth.service.js';
import { keyRing } from '../auth/keys.js';
import { createPasswords } from '../auth/passwords.js';
import { createMemoryAuthStore } from '../auth/store.memory.js';
import { createPostgresAuthStore } from '../auth/store.postgres.js';
import { createAccessTokens } from '../auth/tokens.js';
import { authController } from '../controllers/auth.controller.js';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';

/**
 * /api/v1/auth: register, login, refresh, logout (POST) and me (GET); any other method is
 * answered 405 with the methods allowed. Accounts live in PostgreSQL; tests build the app
 * without it and use memory.
 *
 * @param {{ config: Readonly<Record<string, any>>, logger: import('pino').Logger, dependencies: Record<string, any> }} context
 */
export function createAuthRouter({ config, logger, dependencies }) {
  const store = dependencies.postgres ? createPostgresAuthStore(dependencies.postgres.pool) : createMemoryAuthStore();
  const accessTokens = createAccessTokens(keyRing(config, logger), config);
  const passwords = createPasswords({ cost: config.AUTH_PASSWORD_HASH_COST });
  const controller = authController(createAuthService({ config, store, passwords, accessTokens }), accessTokens);

  const router = Router();
  for (const name of ['register', 'login', 'refresh', 'logout']) {
    router.route(`/${name}`).post(controller[name]).all(methodNotAllowed('POST'));
  }
  router.route('/me').get(controller.me).all(methodNotAllowed('GET'));
  return router;
}

/**
 * GET /.well-known/jwks.json: the public keys that verify this service's access tokens, each
 * with its kid, for other services' JWT_JWKS_URL. Cached briefly: after a rotation, verifiers
 * fetch the set again when a token names a key they do not hold.
 *
 * @param {ReturnType<typeof keyRing>} ring
 */
export function jwksRouter(ring) {
  const body = JSON.stringify(ring.jwks);
  const router = Router();
  router
    .route('/.well-known/jwks.json')
    .get((_req, res) => {
      res.set('Cache-Control', 'public, max-age=60').type('application/json').send(body);
    })
    .all(methodNotAllowed('GET'));
  return router;
}
