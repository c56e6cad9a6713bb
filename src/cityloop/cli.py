"""The ``cityloop`` console script: a curated front door to the management commands."""

from __future__ import annotations

import os
import sys

# (command, management command, 中文说明, English help)
COMMANDS: list[tuple[str, str, str, str]] = [
    (
        "serve",
        "serve",
        "迁移数据库并启动网站（默认带后台任务进程）",
        "migrate, then serve the site",
    ),
    ("worker", "worker", "启动后台任务进程（期限、亮灯巡检）", "run the background worker"),
    (
        "sweep",
        "sweep",
        "巡检一遍：期限、亮灯、待发通知（--once 只跑一遍）",
        "run the sweep (--once)",
    ),
    ("demo", "demo", "载入演示区县数据（可重复执行）", "load the demo district"),
    ("import", "import_data", "从 xlsx/csv/GeoJSON 导入地点、单位、人员、责任对象", "import data"),
    ("user", "user", "创建或修改账号", "create or change accounts"),
    ("token", "token", "为账号签发 API 令牌", "issue an API token"),
    ("open311", "open311", "Open311 客户端密钥：新建、列出、吊销", "Open311 client keys"),
    ("calendar", "calendar", "工作日历：查看、播种、维护节假日与调休", "work calendar"),
    (
        "intel",
        "intel",
        "智能分拨：训练/评估/预测模型，重复件与热点",
        "triage models, duplicates and hotspots",
    ),
    ("assess", "assess", "考核：计算、关闭、查看排名", "run, close or show an assessment period"),
    (
        "bulletin",
        "bulletin",
        "信息简报：编辑、印发、导出 Word/PDF",
        "compile, publish, render bulletins",
    ),
    ("report", "report", "通报：半月、月度排名、督查周/月/季通报", "periodic notices"),
    (
        "backup",
        "backup",
        "备份数据库、上传文件和密钥到新目录（附清单与校验和）",
        "back up the database, uploads and key",
    ),
    (
        "restore",
        "restore",
        "从备份目录恢复（先核对校验和；目标库非空需 --force）",
        "restore a backup (checksums first; --force)",
    ),
    (
        "check",
        "cityloop_check",
        "检查配置（--deploy：部署检查，有问题时退出码非零）",
        "system checks (--deploy: deployment, non-zero on a problem)",
    ),
    ("migrate", "migrate", "执行数据库迁移", "apply database migrations"),
    (
        "docs-tables",
        "docs_tables",
        "由操作登记表生成用户指南中的操作表（--check 只检查）",
        "write the guide's action table",
    ),
    ("manage", "", "运行任意 Django 管理命令", "run any Django management command"),
]


def _usage() -> str:
    lines = [
        "用法 usage: cityloop <命令 command> [参数 options]",
        "",
        "命令 commands:",
    ]
    for name, _target, zh, en in COMMANDS:
        lines.append(f"  {name:<10} {zh} / {en}")
    lines += ["", "cityloop <命令> --help 查看各命令的参数 / shows each command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityloop.settings")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = argv[0], argv[1:]
    table = {c[0]: c[1] for c in COMMANDS}
    if name not in table:
        print(f"未知命令 unknown command: {name}\n", file=sys.stderr)
        print(_usage(), file=sys.stderr)
        return 2
    from django.core.management import ManagementUtility

    target = table[name]
    if not target:  # manage: pass everything through
        ManagementUtility(["cityloop", *rest]).execute()
        return 0
    ManagementUtility(["cityloop", target, *rest]).execute()
    return 0


if __name__ == "__main__":
    sys.exit(main())
