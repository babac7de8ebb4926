// A small ZIP writer for the Teams app package (no zip library is installed, and a package is only
// three small files). It writes what every unzip and Teams' uploader read: local headers, the
// central directory and the end record, no ZIP64, no data descriptors, no encryption.
import zlib from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, with forward slashes. */
  name: string;
  data: Buffer;
}

export interface ZipOptions {
  /**
   * Modification time stamped on every entry. Defaults to 1980-01-01 00:00, the earliest time a
   * ZIP can hold, so the same inputs always give the same bytes.
   */
  mtime?: Date;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const VERSION_NEEDED = 20; // 2.0: deflate
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;
const FLAG_UTF8_NAME = 0x0800;
const MAX_16 = 0xffff;
const MAX_32 = 0xffffffff;

/** MS-DOS date and time fields (local time, two-second resolution), as ZIP stores them. */
function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Builds a ZIP archive in memory. Entries are deflated unless deflating would make them larger. */
export function createZip(entries: readonly ZipEntry[], options: ZipOptions = {}): Buffer {
  const { time, date } = dosDateTime(options.mtime ?? new Date(1980, 0, 1, 0, 0, 0));
  const seen = new Set<string>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  if (entries.length > MAX_16) throw new Error(`A ZIP without ZIP64 holds at most ${MAX_16} entries, not ${entries.length}.`);
  for (const entry of entries) {
    if (!entry.name || entry.name.startsWith('/') || entry.name.includes('\\') || entry.name.split('/').includes('..')) {
      throw new Error(`ZIP entry name "${entry.name}" must be a relative path with forward slashes.`);
    }
    if (seen.has(entry.name)) throw new Error(`ZIP entry "${entry.name}" is listed twice.`);
    seen.add(entry.name);
    const name = Buffer.from(entry.name, 'utf8');
    // Names that are not plain ASCII must be flagged as UTF-8, or readers decode them as CP437.
    const flags = /^[\x20-\x7e]*$/.test(entry.name) ? 0 : FLAG_UTF8_NAME;
    const crc = zlib.crc32(entry.data) >>> 0;
    const deflated = zlib.deflateRawSync(entry.data, { level: 9 });
    const useDeflate = deflated.length < entry.data.length;
    const body = useDeflate ? deflated : entry.data;
    const method = useDeflate ? METHOD_DEFLATE : METHOD_STORE;
    if (entry.data.length > MAX_32 || offset > MAX_32) throw new Error('The ZIP would need ZIP64, which this writer does not produce.');

    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // extra field length
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL_HEADER, 0);
    central.writeUInt16LE(VERSION_NEEDED, 4); // version made by: MS-DOS attributes, spec 2.0
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra field length
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt16LE(0, 34); // disk number start
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(0, 38); // external attributes
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + body.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(0, 4); // this disk
  end.writeUInt16LE(0, 6); // disk with the central directory
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20); // comment length
  return Buffer.concat([...locals, centralDirectory, end]);
}
