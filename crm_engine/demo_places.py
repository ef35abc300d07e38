"""Cities and districts of each delivery region, for the demo shop's addresses and tracking.

Region codes and the city-to-region assignment follow the shop policy
(data/shop_policy.yml, `delivery.regions`), which stays the authority on regions.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every parcel leaves the Shanghai warehouse (the policy's warehouse_region east).
WAREHOUSE = ("上海", "Shanghai", "上海嘉定仓", "Shanghai Jiading warehouse")


@dataclass(frozen=True)
class City:
    name_zh: str  # without the 市 suffix
    name_en: str
    districts: tuple[tuple[str, str], ...]  # (zh, en)


@dataclass(frozen=True)
class Region:
    code: str
    name_zh: str
    name_en: str
    cities: tuple[City, ...]  # most populous first


def _city(zh: str, en: str, *districts: str) -> City:
    return City(zh, en, tuple(tuple(d.split("|")) for d in districts))  # type: ignore[misc]


REGIONS: tuple[Region, ...] = (
    Region(
        "east",
        "华东",
        "East China",
        (
            _city(
                "上海",
                "Shanghai",
                "浦东新区|Pudong New Area",
                "徐汇区|Xuhui District",
                "静安区|Jing'an District",
            ),
            _city(
                "杭州",
                "Hangzhou",
                "西湖区|Xihu District",
                "滨江区|Binjiang District",
                "余杭区|Yuhang District",
            ),
            _city("南京", "Nanjing", "鼓楼区|Gulou District", "建邺区|Jianye District"),
            _city("苏州", "Suzhou", "姑苏区|Gusu District", "工业园区|Suzhou Industrial Park"),
            _city("宁波", "Ningbo", "鄞州区|Yinzhou District", "海曙区|Haishu District"),
            _city("合肥", "Hefei", "蜀山区|Shushan District", "包河区|Baohe District"),
            _city("济南", "Jinan", "历下区|Lixia District", "市中区|Shizhong District"),
            _city("青岛", "Qingdao", "市南区|Shinan District", "崂山区|Laoshan District"),
            _city("福州", "Fuzhou", "鼓楼区|Gulou District", "仓山区|Cangshan District"),
            _city("厦门", "Xiamen", "思明区|Siming District", "湖里区|Huli District"),
            _city("南昌", "Nanchang", "东湖区|Donghu District", "红谷滩区|Honggutan District"),
        ),
    ),
    Region(
        "north",
        "华北",
        "North China",
        (
            _city(
                "北京",
                "Beijing",
                "朝阳区|Chaoyang District",
                "海淀区|Haidian District",
                "东城区|Dongcheng District",
            ),
            _city("天津", "Tianjin", "和平区|Heping District", "南开区|Nankai District"),
            _city("石家庄", "Shijiazhuang", "长安区|Chang'an District", "裕华区|Yuhua District"),
            _city("太原", "Taiyuan", "小店区|Xiaodian District", "迎泽区|Yingze District"),
            _city("呼和浩特", "Hohhot", "新城区|Xincheng District", "赛罕区|Saihan District"),
        ),
    ),
    Region(
        "south",
        "华南",
        "South China",
        (
            _city(
                "广州",
                "Guangzhou",
                "天河区|Tianhe District",
                "越秀区|Yuexiu District",
                "海珠区|Haizhu District",
            ),
            _city(
                "深圳",
                "Shenzhen",
                "南山区|Nanshan District",
                "福田区|Futian District",
                "宝安区|Bao'an District",
            ),
            _city(
                "东莞",
                "Dongguan",
                "南城街道|Nancheng Subdistrict",
                "东城街道|Dongcheng Subdistrict",
            ),
            _city("佛山", "Foshan", "禅城区|Chancheng District", "顺德区|Shunde District"),
            _city("南宁", "Nanning", "青秀区|Qingxiu District", "兴宁区|Xingning District"),
            _city("海口", "Haikou", "龙华区|Longhua District", "美兰区|Meilan District"),
        ),
    ),
    Region(
        "central",
        "华中",
        "Central China",
        (
            _city(
                "武汉",
                "Wuhan",
                "武昌区|Wuchang District",
                "洪山区|Hongshan District",
                "江汉区|Jianghan District",
            ),
            _city("长沙", "Changsha", "岳麓区|Yuelu District", "天心区|Tianxin District"),
            _city("郑州", "Zhengzhou", "金水区|Jinshui District", "二七区|Erqi District"),
        ),
    ),
    Region(
        "southwest",
        "西南",
        "Southwest China",
        (
            _city(
                "成都",
                "Chengdu",
                "锦江区|Jinjiang District",
                "武侯区|Wuhou District",
                "高新区|Gaoxin District",
            ),
            _city("重庆", "Chongqing", "渝中区|Yuzhong District", "江北区|Jiangbei District"),
            _city("昆明", "Kunming", "五华区|Wuhua District", "盘龙区|Panlong District"),
            _city("贵阳", "Guiyang", "云岩区|Yunyan District", "观山湖区|Guanshanhu District"),
        ),
    ),
    Region(
        "northwest",
        "西北",
        "Northwest China",
        (
            _city("西安", "Xi'an", "雁塔区|Yanta District", "碑林区|Beilin District"),
            _city("兰州", "Lanzhou", "城关区|Chengguan District", "七里河区|Qilihe District"),
            _city("乌鲁木齐", "Urumqi", "天山区|Tianshan District", "沙依巴克区|Saybagh District"),
            _city("银川", "Yinchuan", "兴庆区|Xingqing District", "金凤区|Jinfeng District"),
            _city("西宁", "Xining", "城西区|Chengxi District", "城中区|Chengzhong District"),
        ),
    ),
    Region(
        "northeast",
        "东北",
        "Northeast China",
        (
            _city("沈阳", "Shenyang", "和平区|Heping District", "沈河区|Shenhe District"),
            _city("大连", "Dalian", "中山区|Zhongshan District", "沙河口区|Shahekou District"),
            _city("长春", "Changchun", "朝阳区|Chaoyang District", "南关区|Nanguan District"),
            _city("哈尔滨", "Harbin", "南岗区|Nangang District", "道里区|Daoli District"),
        ),
    ),
)
