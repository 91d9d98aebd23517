/** A tool the model may call, in OpenAI's function-tool shape (the common denominator). */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** A tool call the assistant made earlier in the conversation. */
export interface AssistantToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of the conversation. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** On `assistant` messages: the tool calls it made. */
  toolCalls?: AssistantToolCall[];
  /** On `tool` messages: which call this is the result of. */
  toolCallId?: string;
  name?: string;
}

/** Sampling parameters a client may set; the same set reaches every provider. */
export interface SamplingParameters {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
}

/** A client's request, decoded from either door into one shape. */
export interface ChatRequest extends SamplingParameters {
  /** The client's id for the request (unique among its connection's open requests). */
  id: string;
  /** The model name the client asked for: a configured route. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  cache?: 'default' | 'bypass' | 'refresh';
  /** A stored prompt template to fill: its messages come before the request's own. */
  prompt?: { name: string; version?: number; vars?: Record<string, string> };
  metadata?: Record<string, unknown>;
}

/** What a provider adapter is asked to do: the request resolved to one upstream model. */
export interface ProviderRequest extends SamplingParameters {
  /** The upstream's own model name. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
}
