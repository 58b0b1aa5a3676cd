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
--   - a table's columns get widths from their longest cells (tbl would
--     give each column the same share of the line);
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

-- A column as wide as its longest cell, up to WIDE characters, and no
-- narrower than its longest word: a key column stays narrow, the prose
-- beside it gets the rest. Pandoc writes the widths as shares of 70n;
-- tbl puts 3n between columns, and man(1) leaves 71n at 80 columns.
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

local function table_widths(tbl)
  local n = #tbl.colspecs
  local len, word = {}, {}
  local rows = {}
  for _, row in ipairs(tbl.head.rows) do
    table.insert(rows, row)
  end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      table.insert(rows, row)
    end
  end
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
  -- Every column its longest word; the rest of the line shared out as
  -- the columns are longer than that.
  local room, more = 67 - 3 * n, 0
  for i = 1, n do
    len[i] = math.max(len[i], word[i])
    room = room - word[i]
    more = more + len[i] - word[i]
  end
  for i = 1, n do
    local w = word[i] + math.max(room, 0) * (more > 0 and (len[i] - word[i]) / more or 0)
    tbl.colspecs[i] = { tbl.colspecs[i][1], w / 70 }
  end
  return tbl
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
  return doc
end

return { { Pandoc = page }, { Link = link, Table = table_widths } }
