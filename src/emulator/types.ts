/** Shapes shared by the emulator's parts and by tests that drive it. */
import type { FaultKey } from './fault-injector.js';
import type { OPERATION_HANDLERS } from './emulator-server.js';
import type { ParsedRequest } from './parsed-request.js';

/** Every operation the emulator answers: the keys of its dispatch table, so the list is written once. */
export type OssOperation = keyof typeof OPERATION_HANDLERS;

export type FaultAction =
  | { type: 'error'; status: number; code: string; message?: string }
  /** Destroy the socket after receiving that many request body bytes, without responding. */
  | { type: 'reset'; afterBytes: number }
  | { type: 'latency'; ms: number }
  /** Throttle reading the request body, and sending a GetObject's body. */
  | { type: 'throttle'; bytesPerSecond: number }
  /** Damage on the wire: the byte at this offset of the request body arrives with its bits flipped. */
  | { type: 'corrupt'; atByte: number }
  /** Damage on the way back: the byte at this offset of the response body (GetObject) leaves with its bits flipped. */
  | { type: 'corruptResponse'; atByte: number }
  /** Drop the request's upload ID server-side before handling it, so it gets NoSuchUpload. */
  | { type: 'forgetUpload' };

interface FaultMatch {
  method?: string;
  operation?: OssOperation;
  /** Exact key, `{ prefix }` or `{ glob }` (see fault-injector.ts). */
  key?: FaultKey;
  partNumber?: number;
}

export interface FaultRule {
  match?: FaultMatch;
  /** 1-based: the Nth matching request from when the rule is added. Default 1. */
  nth?: number;
  /** How many consecutive matches from the Nth get the action. Default 1; Infinity allowed. */
  times?: number;
  action: FaultAction;
}

export interface RequestLogEntry extends Pick<
  ParsedRequest,
  'method' | 'query' | 'bucket' | 'key' | 'operation' | 'partNumber' | 'uploadId'
> {
  time: number;
  path: string;
  bytesReceived: number;
  /** From the request's arrival to the end of its answer (or the connection's end). */
  durationMs: number;
  /** 0 when the connection was reset instead of answered. */
  status: number;
  code?: string;
}

export interface Credential {
  accessKeyId: string;
  accessKeySecret: string;
  /** Temporary (STS) credentials only: requests must carry it as `x-oss-security-token`. */
  securityToken?: string;
  /** Temporary credentials only: epoch ms after which OSS answers SecurityTokenExpired. */
  expiration?: number;
}

/** Object metadata, kept in the sidecar JSON next to the object's data file. */
export interface ObjectMeta {
  key: string;
  /** The data files (names in the object's directory), in order: one, or a multipart object's parts (hard links). */
  files: Array<{ name: string; size: number }>;
  size: number;
  etag: string;
  crc64: string;
  contentType: string;
  lastModified: number;
  userMeta: Record<string, string>;
  objectType: 'Normal' | 'Multipart';
  /** x-oss-storage-class given at upload; absent in sidecars written before it was kept: Standard. */
  storageClass?: StorageClass;
  /** Content-Disposition, Cache-Control, Content-Encoding, Expires as given at upload (STORED_HEADERS). */
  storedHeaders?: Record<string, string>;
  /** x-oss-server-side-encryption (and its KMS key id, SM4 data encryption) given at upload. */
  encryption?: ObjectEncryption;
  /** x-oss-tagging given at upload, in its order. */
  tags?: Array<[key: string, value: string]>;
  /** Set when written while the bucket's versioning was Enabled; absent: the "null" version. */
  versionId?: string;
  /** A delete marker of a versioned bucket (no data): only ever in an object's version history. */
  deleteMarker?: true;
}

/** What an object keeps from the request that made it (PutObject; InitiateMultipartUpload for a multipart one). */
export type ObjectAttributes = Pick<ObjectMeta, 'contentType' | 'userMeta' | 'storageClass' | 'storedHeaders' | 'encryption' | 'tags'>;

export const ENCRYPTION_ALGORITHMS = ['AES256', 'KMS', 'SM4'] as const;

export interface ObjectEncryption {
  algorithm: (typeof ENCRYPTION_ALGORITHMS)[number];
  /** KMS only: x-oss-server-side-encryption-key-id. */
  keyId?: string;
  /** KMS only: x-oss-server-side-data-encryption (SM4). */
  dataEncryption?: string;
}

/** Standard headers OSS keeps with an object when an upload sets them and returns on GET and HEAD. */
export const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'expires'] as const;

export const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];
