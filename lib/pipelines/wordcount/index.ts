export { splitWords, linesToWords, batchWordCount } from "./words";
export { SOCKET_SOURCE_DEFAULTS, TEXT_TOPIC_SOURCE_DEFAULTS, WORD_COUNT_DEFAULTS, type SocketSourceOptions, type TextTopicSourceOptions, type WordCountOptions } from "./options";
export { startLineServer, type LineServer } from "./line-server";
export { textTopicSource } from "./topic-source";
export { wordCount } from "./query";
export { startWordCountPipeline, type WordCountPipelineOptions } from "./run";
