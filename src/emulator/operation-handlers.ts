import { restoreObject } from './archive-restore.js';
import {
  deleteBucketLifecycle,
  getBucketLifecycle,
  getBucketVersioning,
  putBucketLifecycle,
  putBucketVersioning,
} from './bucket-config-handlers.js';
import type { Bucket } from './bucket.js';
import { copyObject } from './copy-handlers.js';
import { listMultipartUploads, listObjectVersions, listObjects, listObjectsV2 } from './list-handlers.js';
import { abortMultipartUpload, completeMultipartUpload, initiateMultipartUpload, listParts, uploadPart } from './multipart-handlers.js';
import { getObjectTagging } from './object-attributes.js';
import { deleteObject, getObject, headObject, putObject } from './object-handlers.js';
import type { RequestContext } from './request-context.js';

export type OperationHandler = (ctx: RequestContext, bucket: Bucket, tempDir: string) => Promise<void>;

/** Which function answers each OSS operation. */
export const OPERATION_HANDLERS = {
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPart,
  ListParts: listParts,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListMultipartUploads: listMultipartUploads,
  RestoreObject: restoreObject,
  PutBucketLifecycle: putBucketLifecycle,
  GetBucketLifecycle: getBucketLifecycle,
  DeleteBucketLifecycle: deleteBucketLifecycle,
  GetObjectTagging: getObjectTagging,
  PutBucketVersioning: putBucketVersioning,
  GetBucketVersioning: getBucketVersioning,
  ListObjectVersions: listObjectVersions,
} satisfies Record<string, OperationHandler>;
