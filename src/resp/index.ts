export { formatDouble, formatG } from './double.ts';
export { splitInlineArguments } from './inline.ts';
export {
  type ParsedReply,
  ReplyParser,
  ReplyProtocolError,
  RespError,
  RespMap,
  RespPush,
  RespSet,
  RespStatus,
  type RespValue,
  RespVerbatim,
} from './reply-parser.ts';
export { ReplyWriter } from './reply-writer.ts';
export {
  INLINE_MAX_SIZE,
  PARSE_COMMAND,
  PARSE_ERROR,
  PARSE_INCOMPLETE,
  type ParseResult,
  parseStrictInteger,
  RequestParser,
  type RequestParserLimits,
} from './request-parser.ts';
