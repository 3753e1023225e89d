import { z } from 'zod';

// Field schemas the built-in catalogue shares; ids are the seed's integer ids.

/** A positive integer id (a user's, a product's). */
export const Id = z.int().positive();

/** A non-empty name or label. */
export const Text = z.string().min(1);

/** The fields an update changed, by name, with their new values. */
export const Changes = z.record(z.string(), z.unknown());
