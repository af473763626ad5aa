import { TooManyFailures } from '../auth/auth.service.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.js';
import { HttpError } from '../errors.js';
import { validator } from '../validation.js';

/** The longest e-mail address SMTP can carry (RFC 5321 4.5.3.1). */
const EMAIL_MAX_LENGTH = 254;

const email = { type: 'string', format: 'email', maxLength: EMAIL_MAX_LENGTH };
const parseRegistration = validator({
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: { email, password: { type: 'string', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH } },
});
const parseCredentials = validator({
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: { email, password: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH } },
});
const parseRefreshToken = validator({
  type: 'object',
  additionalProperties: false,
  required: ['refreshToken'],
  properties: { refreshToken: { type: 'string', minLength: 1, maxLength: 512 } },
});

/**
 * The HTTP side of the auth service: validated bodies in, JSON out. Express 5 passes a rejected
 * promise to the error handler, so handlers only throw.
 *
 * @param {ReturnType<import('../auth/auth.service.js').createAuthService>} service
 * @param {ReturnType<import('../auth/tokens.js').createAccessTokens>} accessTokens
 */
export function authController(service, accessTokens) {
  return {
    register: async (req, res) => {
      res.status(201).json(await service.register(parseRegistration(req.body)));
    },

    login: async (req, res) => {
      try {
        res.json(await service.login(parseCredentials(req.body), req.ip ?? 'unknown'));
      } catch (err) {
        if (err instanceof TooManyFailures) res.set('Retry-After', String(Math.max(1, err.retryAfter)));
        throw err;
      }
    },

    refresh: async (req, res) => {
      res.json(await service.refresh(parseRefreshToken(req.body)));
    },

    logout: async (req, res) => {
      await service.logout(parseRefreshToken(req.body));
      res.status(204).end();
    },

    me: async (req, res) => {
      const [scheme, token] = (req.get('authorization') ?? '').split(' ');
      if (scheme !== 'Bearer' || !token) {
        res.set('WWW-Authenticate', 'Bearer');
        throw new HttpError(401, 'unauthenticated', 'A valid Bearer token is required.');
      }
      let subject;
      try {
        subject = (await accessTokens.verify(token)).sub;
      } catch (err) {
        res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
        throw new HttpError(401, 'invalid_token', 'The Bearer token is invalid or has expired.', { cause: err });
      }
      res.json(await service.me(subject));
    },
  };
}
