// The RFM grid as core sends it (report_rfm's grid: rows R5..R1, columns F1..F5, each cell
// with its segment). Core owns which (R, F) cell is which segment; the screen draws the cells
// it gets, in the order it gets them, and keeps no copy of the table.

/** Core's cells grouped into rows in the order sent; `cols` are the F scores of the first row. */
export function rfmRows(grid) {
  const rows = [];
  for (const cell of grid ?? []) {
    const row = rows.find((x) => x.r === cell.r);
    if (row) row.cells.push(cell);
    else rows.push({ r: cell.r, cells: [cell] });
  }
  return { cols: rows.length ? rows[0].cells.map((c) => c.f) : [], rows };
}
