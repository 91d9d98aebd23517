import { isExpired } from '../auth/identity.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { applyRenderedPrompt } from '../prompts/apply-rendered-prompt.ts';
import type { RequestRecord } from './request-record.ts';

/**
 * The admit stage: refuses a request that may not run (an expired credential, a stopping server, a
 * pre hook's veto, an unknown model or prompt, no allowance left) by throwing, before anything is
 * sent; otherwise fills in the record's request as the provider will see it, its route and what the
 * quota granted.
 */
export async function admitRequest(record: RequestRecord): Promise<void> {
  const { request, context, steps, hookContext } = record;
  steps.stopping.throwIfAborted();
  if (isExpired(context.identity)) throw new GatewayError('unauthorized', 'credential expired');
  if (request.prompt) record.effective = applyRenderedPrompt(request, steps.prompts.render(request.prompt));
  hookContext.request = record.effective;
  await steps.hooks.runPre(hookContext);
  record.effective = hookContext.request;
  const route = steps.router.resolve(record.effective.model);
  record.route = route;
  // A route with one target names its provider even when the request is refused before the call.
  if (route.targets.length === 1) record.target = route.targets[0];
  const granted = await steps.quota.admit({
    identity: context.identity,
    request: record.effective,
    requestId: context.requestId,
    candidates: route.targets,
  });
  record.admission = granted;
  if (granted.warnings.length > 0)
    context.log.warn({ warnings: granted.warnings }, 'request parameters changed');
}
