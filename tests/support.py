"""Paths and the tiny labelled set shared by the tests."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED_PAGE = REPO / "data" / "pages" / "henan-rural-daily-party-building-page.txt"
SHARED_DATA = REPO.parent / "shared" / "data"

CHECKPOINT, TESTING, PUBLICITY = "checkpoint_duty", "nucleic_acid_testing", "publicity"
VOLUNTEER, PROPERTY = "volunteer_service", "property_management"

# Short paragraphs written for these tests; four or more per label so that 2-fold CV can run.
TINY = [
    ("村口设立卡点，专人值守，查验健康码和行程码。", [CHECKPOINT]),
    ("高速路口设置检查点，对进入车辆逐一测温登记。", [CHECKPOINT]),
    ("小区门岗严格值守，外来人员一律劝返。", [CHECKPOINT]),
    ("卡口工作人员昼夜执勤，核验过往人员信息。", [CHECKPOINT]),
    ("全县开展全员核酸检测，设置采样点二百个。", [TESTING]),
    ("医护人员上门为行动不便的老人采集核酸样本。", [TESTING]),
    ("居民在采样点有序排队，完成第二轮核酸检测。", [TESTING]),
    ("学校要求师生返校前提供核酸检测阴性证明。", [TESTING]),
    ("村里的大喇叭每天循环播放防疫知识。", [PUBLICITY]),
    ("社区张贴标语横幅，发放疫情防控明白纸。", [PUBLICITY]),
    ("民警劝导聚集打牌的村民散开，讲解防疫要求。", [PUBLICITY]),
    ("通过微信群推送疫情防控知识，引导群众不信谣不传谣。", [PUBLICITY]),
    ("青年志愿者为居家老人送菜送药。", [VOLUNTEER]),
    ("党员志愿服务队帮助独居老人代购生活物资。", [VOLUNTEER]),
    ("红马甲志愿者在社区协助搬运防疫物资。", [VOLUNTEER]),
    ("大学生志愿者为隔离家庭配送蔬菜包。", [VOLUNTEER]),
    ("物业公司对小区电梯进行管理，物业人员坚守岗位。", [PROPERTY]),
    ("红色物业推动老旧小区治理，业委会积极参与。", [PROPERTY]),
    ("无物业小区由社区党支部托管，成立楼院管理小组。", [PROPERTY]),
    ("物业服务企业党支部带领员工做好小区服务。", [PROPERTY]),
    ("今日新增确诊病例三例，均为境外输入。", []),
    ("该县召开防汛工作会议，部署抢险救灾。", []),
    ("全市累计接种新冠疫苗一百万剂次。", []),
    ("工作人员对公共场所进行消杀。", []),
    ("经济运行稳中向好，企业复工复产有序推进。", []),
    ("党员干部发挥先锋模范作用，筑牢战斗堡垒。", []),
]
