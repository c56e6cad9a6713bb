#!/bin/sh
# Install the Debian packages cityloop's features need, when we can; warn clearly when not.
#   fonts    -> fonts-noto-cjk   (Chinese text in PDFs and charts)
#   chromium -> chromium         (the browser test; Playwright drives Debian's chromium)
#   documents -> fonts-arphic-ukai (楷体 in 公文 PDFs), poppler-utils (pdftoppm: page PNGs in tests)
#   deploy   -> haproxy, pgbouncer (tests/deploy/test_topology.py; PostgreSQL and Redis are
#               the machine's services)
want=""
for what in "$@"; do
  case "$what" in
    fonts)    [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || want="$want fonts-noto-cjk" ;;
    chromium) [ -x /usr/bin/chromium ] || want="$want chromium" ;;
    documents)
      [ -e /usr/share/fonts/truetype/arphic/ukai.ttc ] || want="$want fonts-arphic-ukai"
      command -v pdftoppm >/dev/null 2>&1 || want="$want poppler-utils" ;;
    deploy)
      [ -x /usr/sbin/haproxy ] || want="$want haproxy"
      [ -x /usr/sbin/pgbouncer ] || want="$want pgbouncer" ;;
  esac
done
[ -z "$want" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "安装系统软件包 installing system packages:$want"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $want >/dev/null && exit 0
fi
echo "警告 WARNING: 未能安装 could not install:$want" >&2
case "$want" in *fonts-noto-cjk*) echo "  - 无中文字体：PDF 与图表中的中文将显示为方框 / no CJK font: Chinese in PDFs and charts will not render" >&2 ;; esac
case "$want" in *fonts-arphic-ukai*) echo "  - 无楷体：公文 PDF 中的楷体标题以宋体代替 / no Kai font: 楷体 headings fall back to Song" >&2 ;; esac
case "$want" in *poppler-utils*) echo "  - 无 pdftoppm：测试不生成文档页面图片 / no pdftoppm: tests write no page images" >&2 ;; esac
case "$want" in *haproxy*|*pgbouncer*) echo "  - 无 haproxy/pgbouncer：多节点部署测试跳过（CI 中失败） / no haproxy or pgbouncer: the several-nodes test is skipped (fails in CI)" >&2 ;; esac
case "$want" in *chromium*) echo "  - 无 chromium：浏览器测试将失败 / no chromium: the browser test will fail" >&2 ;; esac
exit 0
