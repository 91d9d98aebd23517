/** `GET /v1/models`: the model names a user may ask for, in OpenAI's list format. */
export function listModels(names: string[], created: number) {
  return {
    object: 'list',
    data: names.map((id) => ({ id, object: 'model', created, owned_by: 'sluice' })),
  };
}
