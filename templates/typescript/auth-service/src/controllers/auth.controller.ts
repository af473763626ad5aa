import type { Request, Response } from 'express';
import { TooManyFailures } from '../auth/auth.service.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.ts';
import type { AccessTokens } from '../auth/tokens.ts';
import { HttpError } from '../errors.ts';
import { validator } from '../validation.ts';

/** The longest e-mail address SMTP can carry (RFC 5321 4.5.3.1). */
const EMAIL_MAX_LENGTH = 254;

const email = { type: 'string', format: 'email', maxLength: EMAIL_MAX_LENGTH } as const;
const parseRegistration = validator({
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: { email, password: { type: 'string', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH } },
} as const);
const parseCredentials = validator({
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: { email, password: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH } },
} as const);
const parseRefreshToken = validator({
  type: 'object',
  additionalProperties: false,
  required: ['refreshToken'],
  properties: { refreshToken: { type: 'string', minLength: 1, maxLength: 512 } },
} as const);

/**
 * The HTTP side of the auth service: validated bodies in, JSON out. Express 5 passes a rejected
 * promise to the error handler, so handlers only throw.
 */
export function authController(service: AuthService, accessTokens: AccessTokens) {
  return {
    register: async (req: Request, res: Response) => {
      res.status(201).json(await service.register(parseRegistration(req.body)));
    },

    login: async (req: Request, res: Response) => {
      try {
        res.json(await service.login(parseCredentials(req.body), req.ip ?? 'unknown'));
      } catch (err) {
        if (err instanceof TooManyFailures) res.set('Retry-After', String(Math.max(1, err.retryAfter)));
        throw err;
      }
    },

    refresh: async (req: Request, res: Response) => {
      res.json(await service.refresh(parseRefreshToken(req.body)));
    },

    logout: async (req: Request, res: Response) => {
      await service.logout(parseRefreshToken(req.body));
      res.status(204).end();
    },

    me: async (req: Request, res: Response) => {
      const [scheme, token] = (req.get('authorization') ?? '').split(' ');
      if (scheme !== 'Bearer' || !token) {
        res.set('WWW-Authenticate', 'Bearer');
        throw new HttpError(401, 'unauthenticated', 'A valid Bearer token is required.');
      }
      let subject: string | undefined;
      try {
        subject = (await accessTokens.verify(token)).sub;
      } catch (err) {
        res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
        throw new HttpError(401, 'invalid_token', 'The Bearer token is invalid or has expired.', { cause: err });
      }
      res.json(await service.me(subject ?? ''));
    },
  };
}
