"""Streamlit's own widget text in Chinese. Streamlit ships its buttons, menus and tooltips in
English only ("Upload" on the file uploader, "Select all" in a multi-select, the data grid's
Download as CSV / Search / Fullscreen); no config setting changes them. One small script,
installed once per browser tab, puts the Chinese words in place of those exact English strings
(text, tooltips, aria-labels) whenever Streamlit draws them. Hints that say nothing a Chinese
caption does not already say are hidden with CSS instead."""

from __future__ import annotations

import json

import streamlit as st

WORDS = {
    "Upload": "选择文件", "Browse files": "选择文件", "Add files": "添加文件",
    "Select all": "全选", "Clear selection": "清除选择", "Clear all": "全部清除",
    "Clear value": "清除", "Choose an option": "请选择", "Choose options": "请选择",
    "No results": "无匹配项", "Download as CSV": "下载 CSV 文件", "Download as PNG": "下载图片",
    "Search": "搜索", "Close Search": "关闭搜索", "Fullscreen": "全屏", "Toggle fullscreen": "全屏",
    "Close fullscreen": "退出全屏", "Show/hide columns": "显示/隐藏列", "Show data": "显示数据",
    "Show chart": "显示图表", "Skip to main content": "跳到正文", "Close": "关闭",
    "Collapse sidebar": "收起侧栏", "Expand sidebar": "展开侧栏", "Choose date": "选择日期",
    "Clear date": "清除日期", "Copy column name": "复制列名", "Dataframe column menu": "列菜单",
    "Sort ascending": "升序", "Sort descending": "降序", "Hide column": "隐藏列",
    "Autosize": "自动列宽", "Pin column": "固定列", "Unpin column": "取消固定",
    "Format": "格式", "Running...": "运行中……", "Stop": "停止",
}

_CSS = ("<style>[data-testid='InputInstructions'],"
        "[data-testid='stFileUploaderDropzoneInstructions'] {display: none;}</style>")

_SCRIPT = """<script>
(function () {
  if (window.__lxtChinese) return;
  window.__lxtChinese = true;
  const words = %s;
  const attrs = ["aria-label", "title", "placeholder"];
  function fix(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const t = n.nodeValue.trim();
      if (t && words[t]) n.nodeValue = n.nodeValue.replace(t, words[t]);
    }
    const els = root.querySelectorAll ? [root, ...root.querySelectorAll("[aria-label],[title],[placeholder]")] : [];
    for (const el of els) {
      for (const a of attrs) {
        const v = el.getAttribute && el.getAttribute(a);
        if (v && words[v.trim()]) el.setAttribute(a, words[v.trim()]);
      }
    }
  }
  fix(document.body);
  new MutationObserver(function (changes) {
    for (const c of changes) {
      if (c.type === "characterData") { const t = c.target.nodeValue.trim(); if (words[t]) c.target.nodeValue = words[t]; }
      else if (c.type === "attributes") { const v = c.target.getAttribute(c.attributeName); if (v && words[v.trim()]) c.target.setAttribute(c.attributeName, words[v.trim()]); }
      else for (const n of c.addedNodes) {
        if (n.nodeType === 3) { const t = n.nodeValue.trim(); if (words[t]) n.nodeValue = words[t]; }
        else if (n.nodeType === 1) fix(n);
      }
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                              attributes: true, attributeFilter: attrs});
})();
</script>"""


def chinese_widgets() -> None:
    """Call once per run (app.py): the CSS, and the script (it installs itself once per tab)."""
    st.html(_CSS)
    st.html(_SCRIPT % json.dumps(WORDS, ensure_ascii=False), unsafe_allow_javascript=True,
            width="content")
