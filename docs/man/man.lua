-- man.lua - docs/*.md as section-5 man pages (make man): a pandoc filter.
--
-- The Markdown stays the one source and reads well on GitHub; this makes
-- of it what man(7) expects:
--   - the first '# Title' becomes NAME ("ikelab-scenario - Scenario
--     files", the page's name from the metadata `title`) and DESCRIPTION;
--   - '##' sections become .SH, '###' .SS;
--   - a link to another of the documented formats becomes that page's
--     name (ikelab-profile(5)); a link inside the page or to another file
--     is its text alone;
--   - a table's columns get widths from their longest cells, as shares
--     of the terminal's width (below);
--   - lines are adjusted left (narrow table columns cannot be justified)
--     and, when man renders one long page (cR), the page is made long
--     enough first: groff 1.22.4's tbl drops rows of a text block that
--     would cross a page boundary.

local pages = {
  ['scenarios.md'] = 'ikelab-scenario(5)',
  ['topologies.md'] = 'ikelab-topology(5)',
  ['profiles.md'] = 'ikelab-profile(5)',
}

local function link(el)
  local page = pages[el.target:gsub('#.*$', '')]
  if page then
    local name, section = page:match('^(.*)(%(5%))$')
    return { pandoc.Strong(pandoc.Str(name)), pandoc.Str(section) }
  end
  if el.target:match('^https?:') then
    return nil
  end
  return el.content
end

-- A table as tbl(1) text blocks, each column as wide as its share of
-- the line man(1) formats for: every column gets its longest word, and
-- the rest of the line is shared out as the columns' longest cells (up to
-- WIDE characters) are longer than that -- so a key column stays narrow
-- and the prose beside it takes the rest, on a terminal of any width.
-- (Pandoc's own tables give fixed widths for 72 columns.)
local WIDE = 60

local function cell_text(cell)
  return pandoc.utils.stringify(pandoc.Div(cell.contents))
end

local function longest_word(text)
  local n = 0
  for w in text:gmatch('%S+') do
    n = math.max(n, #w)
  end
  return n
end

local function table_rows(tbl)
  local rows = {}
  for _, row in ipairs(tbl.head.rows) do
    table.insert(rows, row)
  end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      table.insert(rows, row)
    end
  end
  return rows
end

-- The format line: lw(EXPR) per column, EXPR in troff's units of the
-- line length less the indent (\n[.l], \n[.i]) and the 3n tbl puts
-- between columns. No
-- parentheses inside (tbl ends the width at the first ')'): troff
-- evaluates from left to right, so L-Gn*S/1000+Wn>?Wn is
-- max((L - G) * S / 1000 + W, W).
local function table_format(rows, n)
  local len, word, words, more = {}, {}, 0, 0
  local spec = {}
  for i = 1, n do
    len[i], word[i] = 3, 3
  end
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row.cells) do
      local text = cell_text(cell)
      len[i] = math.min(math.max(len[i], #text), WIDE)
      word[i] = math.max(word[i], longest_word(text))
    end
  end
  for i = 1, n do
    len[i] = math.max(len[i], word[i])
    words = words + word[i]
    more = more + len[i] - word[i]
  end
  for i = 1, n do
    local share = more > 0 and math.floor(1000 * (len[i] - word[i]) / more) or 0
    table.insert(spec, string.format('lw(\\n[ikelab-tw]u-%dn*%d/1000+%dn>?%dn)',
      words + 3 * n + 1, share, word[i], word[i]))
  end
  return table.concat(spec, ' ') .. '.'
end

local function table_cell(cell)
  local roff = pandoc.write(pandoc.Pandoc(cell.contents), 'man')
  return 'T{\n' .. roff:gsub('\n+$', '') .. '\nT}'
end

local function table_raw(tbl)
  local rows = table_rows(tbl)
  local out = { '.nr ikelab-tw \\n[.l]u-\\n[.i]u', '.TS', 'tab(@);',
    table_format(rows, #tbl.colspecs) }
  for r, row in ipairs(rows) do
    local cells = {}
    for _, cell in ipairs(row.cells) do
      table.insert(cells, table_cell(cell))
    end
    table.insert(out, table.concat(cells, '@'))
    if r == #tbl.head.rows then
      table.insert(out, '_')
    end
  end
  table.insert(out, '.TE')
  return pandoc.RawBlock('man', table.concat(out, '\n'))
end

local function header(el)
  el.level = el.level - 1
  return el
end

local function page(doc)
  local name = pandoc.utils.stringify(doc.meta.title or 'ikelab')
  local blocks = pandoc.List()
  local first = true

  blocks:insert(pandoc.RawBlock('man', '.if \\n[cR] .pl 100000v'))
  for _, b in ipairs(doc.blocks) do
    if first and b.t == 'Header' and b.level == 1 then
      first = false
      blocks:insert(pandoc.Header(1, 'NAME'))
      blocks:insert(pandoc.RawBlock('man', name .. ' \\- ' .. pandoc.utils.stringify(b.content)))
      blocks:insert(pandoc.Header(1, 'DESCRIPTION'))
    elseif b.t == 'Header' then
      blocks:insert(header(b))
    else
      blocks:insert(b)
    end
  end
  doc.blocks = blocks
  doc.meta.adjusting = 'l'
  -- The tables are raw tbl: man(1) runs tbl for a page whose first line
  -- says so, and pandoc writes that line only for tables of its own.
  doc.meta['has-tables'] = true
  return doc
end

return { { Pandoc = page }, { Link = link, Table = table_raw } }
