// A provider option holding a URL Herald or the vendor will call: http(s) and parseable, refused at start-up
// (zod's own `.url()` lets `ftp:` and `http://host:99999/` through, which then failed every message with CONFIG).
import { z } from 'zod';
import { httpUrlProblem } from './http-call';

export const httpUrlOption = (base: z.ZodString = z.string()): z.ZodEffects<z.ZodString, string, string> =>
  base.superRefine((url, ctx) => {
    const problem = httpUrlProblem(url);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });
