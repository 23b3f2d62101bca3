/**
 * The 通报 as PDF with pdfkit: no browser needed, so it works on a hall server or a Pi. Chinese
 * needs a CJK font; the system's Noto CJK (Debian fonts-noto-cjk, installed by
 * scripts/bin/system-deps.mjs) is found at the usual paths, or named by HCP_REPORT_FONT
 * ("/path/font.ttc" or "/path/font.ttc#PostScriptName" for a collection). pdfkit embeds only the
 * glyphs used (subset), so a report stays small. Without a font the answer is the coded error
 * HCP_REPORT_FONT_MISSING, never a PDF of empty boxes.
 */
import { existsSync } from 'node:fs';
import { HcpError } from '@hcp/protocol';
import { bulletinContent, type Bulletin, type TableSpec } from './report.js';

export interface FontChoice {
  readonly path: string;
  /** PostScript name inside a .ttc collection (Simplified Chinese face). */
  readonly postscript?: string;
}

/** Candidate fonts, first existing wins: regular and (optional) bold. */
export interface FontCandidates {
  readonly regular: readonly FontChoice[];
  readonly bold: readonly FontChoice[];
}

const NOTO = ['/usr/share/fonts/opentype/noto', '/usr/share/fonts/noto-cjk', '/usr/share/fonts/google-noto-cjk', '/usr/share/fonts/noto'];

/** The usual places of a Simplified Chinese font on Debian / Raspberry Pi OS, Fedora and Arch; `env` may name one. */
export function defaultFontCandidates(env: NodeJS.ProcessEnv = process.env): FontCandidates {
  const named: FontChoice[] = [];
  if (env.HCP_REPORT_FONT) {
    const [path, postscript] = env.HCP_REPORT_FONT.split('#');
    named.push(postscript ? { path: path!, postscript } : { path: path! });
  }
  return {
    regular: [
      ...named,
      ...NOTO.map((d) => ({ path: `${d}/NotoSansCJK-Regular.ttc`, postscript: 'NotoSansCJKsc-Regular' })),
      ...NOTO.map((d) => ({ path: `${d}/NotoSerifCJK-Regular.ttc`, postscript: 'NotoSerifCJKsc-Regular' })),
      { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', postscript: 'WenQuanYiMicroHei' },
      { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', postscript: 'WenQuanYiZenHei' },
    ],
    bold: env.HCP_REPORT_FONT ? [] : NOTO.map((d) => ({ path: `${d}/NotoSansCJK-Bold.ttc`, postscript: 'NotoSansCJKsc-Bold' })),
  };
}

export function findFonts(c: FontCandidates): { regular: FontChoice; bold: FontChoice | null } {
  const regular = c.regular.find((f) => existsSync(f.path));
  if (!regular) {
    throw new HcpError('HCP_REPORT_FONT_MISSING', { tried: c.regular.map((f) => f.path) },
      { message: 'no Chinese (CJK) font for the PDF report: install fonts-noto-cjk or set HCP_REPORT_FONT=/path/to/font.ttc#PostScriptName' });
  }
  return { regular, bold: c.bold.find((f) => existsSync(f.path)) ?? null };
}

const A4 = { w: 595.28, h: 841.89, margin: 42 };

/** Renders the bulletin to PDF bytes. */
export async function bulletinPdf(b: Bulletin, fonts: FontCandidates): Promise<Buffer> {
  const f = findFonts(fonts);
  // loaded on the first report, not at start (~15 MB resident)
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4', margins: { top: A4.margin, bottom: A4.margin, left: A4.margin, right: A4.margin }, bufferPages: true,
    info: { Title: b.title, Author: b.hallName, Creator: 'hcp 好差评大厅中心', Subject: '政务服务好差评通报' },
    lang: 'zh-CN', displayTitle: true,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('cjk', f.regular.path, f.regular.postscript);
  doc.registerFont('cjk-bold', f.bold?.path ?? f.regular.path, f.bold?.postscript ?? f.regular.postscript);
  const c = bulletinContent(b);
  const width = A4.w - 2 * A4.margin;
  const bottom = A4.h - A4.margin;

  doc.font('cjk-bold').fontSize(16).text(b.title, { align: 'center' });
  doc.moveDown(0.3).font('cjk').fontSize(10).fillColor('#444').text(`统计期间：${b.from} 至 ${b.to}（北京时间）`, { align: 'center' }).fillColor('#000');
  doc.moveDown(0.8).fontSize(10.5);
  for (const s of c.summary) doc.text(s, { lineGap: 2 }).moveDown(0.2);

  // KPI boxes
  doc.moveDown(0.4);
  const boxW = width / c.kpis.length;
  const y0 = doc.y;
  c.kpis.forEach(([k, v, d], i) => {
    const x = A4.margin + i * boxW;
    doc.rect(x + 2, y0, boxW - 4, 52).strokeColor('#888').lineWidth(0.6).stroke();
    doc.font('cjk').fontSize(9).fillColor('#444').text(k, x + 2, y0 + 5, { width: boxW - 4, align: 'center' });
    doc.font('cjk-bold').fontSize(15).fillColor('#000').text(v, x + 2, y0 + 18, { width: boxW - 4, align: 'center' });
    doc.font('cjk').fontSize(8).fillColor('#555').text(d, x + 2, y0 + 38, { width: boxW - 4, align: 'center' });
  });
  doc.fillColor('#000');
  doc.x = A4.margin;
  doc.y = y0 + 62;

  const table = (t: TableSpec) => {
    if (doc.y + 60 > bottom) doc.addPage();
    doc.font('cjk-bold').fontSize(12).text(t.title, A4.margin, doc.y);
    doc.moveDown(0.3);
    if (!t.rows.length) {
      doc.font('cjk').fontSize(10).fillColor('#666').text('本期无数据。').fillColor('#000').moveDown(0.6);
      return;
    }
    const total = t.widths.reduce((a, x) => a + x, 0);
    const cols = t.widths.map((w) => (w / total) * width);
    const pad = 3;
    const drawRow = (cells: readonly string[], bold: boolean) => {
      doc.font(bold ? 'cjk-bold' : 'cjk').fontSize(8.5);
      const h = Math.max(...cells.map((v, i) => doc.heightOfString(v || ' ', { width: cols[i]! - 2 * pad }))) + 2 * pad;
      if (doc.y + h > bottom) {
        doc.addPage();
        if (!bold) drawRow(t.head, true); // repeat the header on a new page
        doc.font('cjk').fontSize(8.5);
      }
      const y = doc.y;
      let x = A4.margin;
      cells.forEach((v, i) => {
        if (bold) doc.rect(x, y, cols[i]!, h).fillColor('#eeeeee').fill().fillColor('#000');
        doc.rect(x, y, cols[i]!, h).strokeColor('#777').lineWidth(0.5).stroke();
        doc.text(v, x + pad, y + pad, { width: cols[i]! - 2 * pad, align: i === 0 ? 'left' : 'center' });
        x += cols[i]!;
      });
      doc.x = A4.margin;
      doc.y = y + h;
    };
    drawRow(t.head, true);
    for (const r of t.rows) drawRow(r, false);
    doc.moveDown(0.8);
  };
  for (const t of c.tables) table(t);

  doc.font('cjk').fontSize(8.5).fillColor('#444');
  for (const n of c.notes) doc.text(n, A4.margin, doc.y, { width }).moveDown(0.2);

  // page numbers
  const range = doc.bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    doc.page.margins.bottom = 0; // the footer sits in the margin; without this pdfkit would start a new page
    doc.font('cjk').fontSize(8).fillColor('#666').text(`第 ${i + 1} 页 / 共 ${range.count} 页`, A4.margin, A4.h - A4.margin + 12, { width, align: 'center', lineBreak: false });
  }
  doc.end();
  return done;
}
