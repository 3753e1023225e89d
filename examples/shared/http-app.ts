import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyError,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'switchboard';
import { installCorrelation, requestCorrelation } from './correlation.js';
import type { ErrorBody } from './schemas.js';

/** A Fastify instance whose routes are typed and validated by zod schemas. */
export type ZodApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export type HttpAppOptions = {
  /** The OpenAPI document's title. */
  readonly title: string;
  readonly description: string;
  /** Where unexpected errors are logged. */
  readonly logger: Logger;
};

/**
 * A Fastify 5 app with what every example service shares: zod validation and
 * serialization, an OpenAPI document and Swagger UI at `/docs`, JSON errors
 * (carrying the correlation id), and switchboard's correlation context around
 * every handler. Register routes after it resolves, so `/docs` lists them.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<ZodApp> {
  // Fastify's own pino logging stays off: the services log through switchboard's Logger shape.
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installCorrelation(app);

  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const { correlationId } = requestCorrelation(request);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const body: ErrorBody = {
        error: 'bad_request',
        message: `invalid ${error.validationContext ?? 'request'}`,
        correlationId,
        issues: error.validation.map((issue) => ({
          path: issue.instancePath === '' ? '/' : issue.instancePath,
          message: issue.message ?? 'invalid',
        })),
      };
      return reply.code(400).send(body);
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 500) {
      options.logger.error({ err: error, correlationId, url: request.url }, 'request failed');
    }
    const body: ErrorBody = {
      error: status >= 500 ? 'internal_error' : 'bad_request',
      // An unexpected error's message may say too much; a client error's is for the client.
      message: status >= 500 ? 'internal error' : error.message,
      correlationId,
    };
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = {
      error: 'not_found',
      message: `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`,
      correlationId: requestCorrelation(request).correlationId,
    };
    return reply.code(404).send(body);
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: options.title, description: options.description, version: '1.0.0' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  return app;
}
