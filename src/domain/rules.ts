// Rules on an event's data: JSON Logic (json-logic-js, data only: its operators compute, none runs
// code or writes anywhere) over `{ data }`. Checked when an event type is saved, evaluated when a
// notification is accepted. A rule reading a field the event lacks is false, with a warning.
import jsonLogic from 'json-logic-js';
import type { FieldIssue } from './errors';
import { pathProblem } from './recipients';
import { checkTemplates } from './templates';
import type { EventType, RecipientPath, Rule, Templates } from './types';

/** json-logic-js's operators, less `log` (it writes to the console). */
export const OPERATORS: ReadonlySet<string> = new Set([
  '==', '===', '!=', '!==', '>', '>=', '<', '<=', '!!', '!', '%', 'in', 'cat', 'substr', '+', '*', '-', '/', 'min', 'max', 'merge',
  'var', 'missing', 'missing_some', 'if', '?:', 'and', 'or', 'filter', 'map', 'reduce', 'all', 'none', 'some',
]);
/** Operators whose second argument runs once per array element, with the element (not the event) as its data. */
const SCOPED = new Set(['filter', 'map', 'reduce', 'all', 'none', 'some']);
const MAX_DEPTH = 32;
const MAX_RULE_JSON = 10_000;

/** `rules[0].when.and[1]`: object keys joined with dots, array indexes in brackets. */
const key = (field: string, k: string) => `${field}.${k}`;
const index = (field: string, i: number) => `${field}[${i}]`;

interface Walk {
  /** False inside the per-element argument of map/filter/...: `var` there reads the element. */
  root: boolean;
  depth: number;
}

/** Every problem in one JSON Logic expression, each naming its path under `field`. */
export function checkLogic(logic: unknown, field: string, walk: Walk = { root: true, depth: 0 }): FieldIssue[] {
  if (walk.depth > MAX_DEPTH) return [{ field, reason: `nests deeper than ${MAX_DEPTH} levels` }];
  const deeper = (w: Partial<Walk> = {}): Walk => ({ root: walk.root, depth: walk.depth + 1, ...w });
  if (Array.isArray(logic)) return logic.flatMap((v, i) => checkLogic(v, index(field, i), deeper()));
  if (logic === null || typeof logic !== 'object') return [];
  const keys = Object.keys(logic);
  if (keys.length !== 1) {
    return [{ field, reason: `an operation is an object with exactly one key, its operator (e.g. {">": [{"var": "data.a"}, 1]}); this one has ${keys.length}` }];
  }
  const op = keys[0];
  const at = key(field, op);
  if (!OPERATORS.has(op)) return [{ field: at, reason: `unknown operator '${op}'` }];
  const raw = (logic as Record<string, unknown>)[op];
  const args = Array.isArray(raw) ? raw : [raw];
  const argAt = (i: number) => (Array.isArray(raw) ? index(at, i) : at);
  if (op === 'var') {
    if (args.length > 2) return [{ field: at, reason: 'takes a path and an optional default' }];
    const [path] = args;
    if (typeof path === 'string' || typeof path === 'number') {
      const problem = walk.root ? pathProblem(String(path)) : null;
      return problem ? [{ field: argAt(0), reason: problem }] : [];
    }
    return checkLogic(path, argAt(0), deeper()).concat(args.length === 2 ? checkLogic(args[1], argAt(1), deeper()) : []);
  }
  if (walk.root && (op === 'missing' || op === 'missing_some')) {
    // Their literal string arguments are paths too, checked like a var's.
    const inList = op === 'missing_some' || Array.isArray(args[0]);
    const list = op === 'missing_some' ? args[1] : inList ? args[0] : args;
    const listAt = op === 'missing_some' ? argAt(1) : argAt(0);
    const bad = (Array.isArray(list) ? list : []).flatMap((p: unknown, i: number) => {
      const problem = typeof p === 'string' ? pathProblem(p) : null;
      return problem ? [{ field: inList ? index(listAt, i) : argAt(i), reason: problem }] : [];
    });
    if (bad.length) return bad;
  }
  if (SCOPED.has(op)) {
    if (args.length < 2) return [{ field: at, reason: `takes an array and the logic applied to each element` }];
    return args.flatMap((a, i) => checkLogic(a, argAt(i), deeper({ root: i === 1 ? false : walk.root })));
  }
  return args.flatMap((a, i) => checkLogic(a, argAt(i), deeper()));
}

/** The literal paths the expression reads from the event without a default (scoped arguments excluded). */
export function pathsRead(logic: unknown, root = true): string[] {
  if (Array.isArray(logic)) return logic.flatMap((v) => pathsRead(v, root));
  if (logic === null || typeof logic !== 'object' || Object.keys(logic).length !== 1) return [];
  const [op] = Object.keys(logic);
  const raw = (logic as Record<string, unknown>)[op];
  const args = Array.isArray(raw) ? raw : [raw];
  if (op === 'var') {
    const [path] = args;
    if (typeof path === 'string' || typeof path === 'number') return root && args.length < 2 ? [String(path)] : [];
    return pathsRead(path, root);
  }
  if (SCOPED.has(op)) return args.flatMap((a, i) => pathsRead(a, i === 1 ? false : root));
  return args.flatMap((a) => pathsRead(a, root));
}

function checkRecipientPath(rp: RecipientPath, field: string, sets: Set<string>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (rp.phone === undefined && rp.email === undefined) issues.push({ field, reason: 'names no phone or email path' });
  for (const part of ['phone', 'email', 'name'] as const) {
    const path = rp[part];
    const problem = path === undefined ? null : pathProblem(path);
    if (problem) issues.push({ field: key(field, part), reason: problem });
  }
  if (rp.template !== undefined && !sets.has(rp.template)) issues.push({ field: key(field, 'template'), reason: unknownSet(rp.template, sets) });
  return issues;
}

const unknownSet = (name: string, sets: Set<string>) =>
  `no template set '${name}' in this event type's templateSets${sets.size ? ` (it has ${[...sets].join(', ')})` : ''}`;

/** Issues of templateSets as `templateSets.<name>.sms.text`. */
function checkTemplateSets(sets: Record<string, Templates>): FieldIssue[] {
  return Object.entries(sets).flatMap(([name, t]) =>
    checkTemplates(t).map((i) => ({ ...i, field: i.field.replace(/^templates\./, `templateSets.${name}.`) })),
  );
}

/**
 * Everything wrong in an event type's template sets, recipient paths and rules (unknown operators,
 * references to missing template sets, malformed paths), each naming its path (`rules[0].when.and[1].foo`).
 */
export function checkEventTypeRules(et: Pick<EventType, 'templateSets' | 'recipientPaths' | 'rules'>): FieldIssue[] {
  const sets = new Set(Object.keys(et.templateSets ?? {}));
  const issues = checkTemplateSets(et.templateSets ?? {});
  (et.recipientPaths ?? []).forEach((rp, i) => issues.push(...checkRecipientPath(rp, index('recipientPaths', i), sets)));
  const seen = new Set<string>();
  (et.rules ?? []).forEach((rule, i) => {
    const at = index('rules', i);
    if (seen.has(rule.id)) issues.push({ field: key(at, 'id'), reason: `repeats rule id '${rule.id}'` });
    seen.add(rule.id);
    if (JSON.stringify(rule.when ?? null).length > MAX_RULE_JSON) issues.push({ field: key(at, 'when'), reason: `must be at most ${MAX_RULE_JSON} characters of JSON` });
    else issues.push(...checkLogic(rule.when, key(at, 'when')));
    if (rule.action === 'skip' && (rule.template !== undefined || rule.recipients?.length)) {
      issues.push({ field: key(at, rule.template !== undefined ? 'template' : 'recipients'), reason: 'a skip rule sends nothing: it takes no template or recipients' });
    }
    if (rule.template !== undefined && !sets.has(rule.template)) issues.push({ field: key(at, 'template'), reason: unknownSet(rule.template, sets) });
    (rule.recipients ?? []).forEach((rp, j) => issues.push(...checkRecipientPath(rp, index(key(at, 'recipients'), j), sets)));
  });
  return issues;
}

export interface RuleEvaluation {
  matched: string[];
  /** Matched rules whose action is skip: when any, nothing is sent. */
  skippedBy: string[];
  /** The first matched rule's template for the event's own audience. */
  template?: string;
  /** Recipient paths of the matched rules, with the rule they came from. */
  recipients: Array<{ rule: string; path: RecipientPath }>;
  warnings: string[];
}

/** What the rule's own `var` would read there is absent or null (json-logic-js walks the same way: `data.name.length` is present). */
const lacks = (data: Record<string, unknown>, path: string) => {
  const v: unknown = jsonLogic.apply({ var: path }, { data });
  return v === undefined || v === null;
};

/**
 * Evaluates the rules in order against the event's data; never throws. A rule reading a path the
 * event lacks (absent or null, without a `var` default) is false with a warning, as is one that fails.
 */
export function evaluateRules(rules: Rule[], data: Record<string, unknown>): RuleEvaluation {
  const out: RuleEvaluation = { matched: [], skippedBy: [], recipients: [], warnings: [] };
  for (const rule of rules) {
    const missing = [...new Set(pathsRead(rule.when))].filter((p) => lacks(data, p));
    if (missing.length) {
      out.warnings.push(`rule '${rule.id}' is false: it reads ${missing.join(', ')}, which the event lacks`);
      continue;
    }
    let holds: boolean;
    try {
      // Checked on save; checked again here so a record written around the API cannot run anything else.
      if (checkLogic(rule.when, 'when').length) throw new Error('the rule is not valid JSON Logic');
      holds = jsonLogic.truthy(jsonLogic.apply(rule.when as jsonLogic.RulesLogic, { data }));
    } catch (e) {
      out.warnings.push(`rule '${rule.id}' is false: it could not be evaluated (${(e as Error).message})`);
      continue;
    }
    if (!holds) continue;
    out.matched.push(rule.id);
    if (rule.action === 'skip') out.skippedBy.push(rule.id);
    if (rule.template !== undefined && out.template === undefined) out.template = rule.template;
    for (const path of rule.recipients ?? []) out.recipients.push({ rule: rule.id, path });
  }
  return out;
}
